"""Launch the UAS-Audio demo Space: `python app.py [--model DIR] [--port N] [--host H] [--audit-dir DIR]`.

All logic lives in `uas_hf.space` (importable and tested); this file only reads the command line. On the Hub the
Space runs it without arguments: a `model/` folder next to it (bundled by `uas-hf push space --model`) or
`$UAS_HF_MODEL` selects the model, else the offline analyzer is used.
"""

import argparse
import os
from pathlib import Path

from uas_hf.space import build_demo, launch_demo


HERE = Path(__file__).resolve().parent


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="UAS-Audio demo: analyze, ask, audit.")
    bundled = HERE / "model"
    default_model = os.environ.get("UAS_HF_MODEL") or (str(bundled) if (bundled / "config.json").is_file() else None)
    parser.add_argument("--model", default=default_model, help="saved UAS-Audio folder (default: offline analyzer)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--audit-dir", default=None, help="where audit judgements are saved (JSON Lines)")
    parser.add_argument("--no-warm-up", action="store_true", help="do not preload the analyzer before the first clip")
    args = parser.parse_args(argv)
    demo = build_demo(model_dir=args.model, audit_dir=args.audit_dir, warm_up=not args.no_warm_up)
    launch_demo(demo, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
