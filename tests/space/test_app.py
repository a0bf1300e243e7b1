"""The launched Space driven through gradio_client: analyze a real clip, ask, audit; bad uploads never crash it."""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from uas_hf.schema import parse_uas


gradio_client = pytest.importorskip("gradio_client")
# gradio 6.31's own Dataframe post-processing uses pandas options that pandas 3 deprecates; not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
REPO_ROOT = Path(__file__).resolve().parents[2]
# /analyze returns: status, card, figure, uas json, notes, player, 9 audit radios, audit heading.
STATUS, CARD, FIGURE, UAS, NOTES, PLAYER = range(6)


@pytest.fixture(scope="module")
def client(space):
    return gradio_client.Client(space.url, verbose=False)


@pytest.fixture(scope="module")
def analyzed(client, speech_clip, speech_text):
    return client.predict(gradio_client.handle_file(str(speech_clip)), speech_text, api_name="/analyze")


def test_analyze_real_clip_returns_uas(analyzed, speech_clip, speech_text):
    assert f"Analyzed {speech_clip.name}" in analyzed[STATUS] and "uas-status-ok" in analyzed[STATUS]
    uas = analyzed[UAS]
    record = parse_uas(uas, lenient=False)  # the raw JSON is valid UAS with the paper's keys
    assert set(uas) == {"transcription", "paralinguistics", "nonLinguisticEvents"}
    assert record.transcription == speech_text
    assert record.paralinguistics.gender == "Male"  # espeak-ng en-us speaks at about 100 Hz
    events = record.non_linguistic_events
    assert len(events.discrete_events) == 2 and all(
        "at 3.9" in e.label or "at 4.4" in e.label for e in events.discrete_events
    )
    assert events.continuous_events  # the hum
    card = analyzed[CARD]
    assert "Paralinguistics" in card and "Male" in card and "Discrete events" in card
    assert analyzed[FIGURE]["type"] == "matplotlib" and analyzed[FIGURE]["plot"].startswith("data:image/")
    assert "Offline acoustic analysis" in analyzed[NOTES]


def test_analyze_corpus_clip(space, corpus_clip):
    """A real corpus recording (speech mixed over a background with sound events) yields valid UAS."""
    client = gradio_client.Client(space.url, verbose=False)  # its own session: the shared one keeps the espeak clip
    out = client.predict(
        gradio_client.handle_file(str(corpus_clip.path)), corpus_clip.transcription, api_name="/analyze"
    )
    assert "uas-status-ok" in out[STATUS], out[STATUS]
    record = parse_uas(out[UAS], lenient=False)
    assert record.transcription == corpus_clip.transcription
    assert record.paralinguistics.gender in ("Male", "Female")
    assert record.non_linguistic_events.description


def test_ask_targeted_answers(client, analyzed, speech_text):
    answer, status = client.predict("gender", "", api_name="/ask")
    assert answer == "Male" and "What is the speaker&#x27;s gender?" in status
    answer, _ = client.predict(
        "gender", "Identify the speaker's emotion and gender in a concise format.", api_name="/ask"
    )
    assert answer == "Not determined (no offline measurement supports it), Male"
    answer, _ = client.predict("discreteEvents", "", api_name="/ask")
    assert answer.count("Impulsive sound") == 2
    answer, _ = client.predict("transcription", "", api_name="/ask")
    assert answer == speech_text
    answer, _ = client.predict("gender", "What colour is the sky?", api_name="/ask")
    assert "only answers about the UAS fields" in answer


def test_ask_and_audit_before_any_analysis_explain_what_to_do(space):
    fresh = gradio_client.Client(space.url, verbose=False)  # a new session: no clip yet
    answer, status = fresh.predict("gender", "", api_name="/ask")
    assert answer == "" and "Analyze a clip first" in status
    status, _, _ = fresh.predict("me", *["Correct"] * 9, api_name="/save_audit")
    assert "Analyze a clip first" in status


def test_audit_item_saved_under_sanitized_name_with_wilson_table(client, analyzed, space):
    judgements = ["Correct", "Correct", "Unsure", "Incorrect", "Correct", "Correct", "Correct", "Correct", None]
    status, table, plot = client.predict("../../etc/evil name", *judgements, api_name="/save_audit")
    assert "Saved 8 judgements" in status and "etc_evil_name.jsonl" in status
    files = list(space.audit_dir.parent.rglob("*.jsonl"))
    assert space.audit_dir / "etc_evil_name.jsonl" in files
    (row,) = [json.loads(line) for line in (space.audit_dir / "etc_evil_name.jsonl").read_text().splitlines()]
    assert row["fields"]["gender"] == {"value": "Male", "judgement": "Correct"}
    assert "continuousEvents" not in row["fields"]  # left unjudged
    rows = {r[1]: dict(zip(table["headers"], r)) for r in table["data"]}
    gender = rows["Gender"]
    assert gender["Correct"] >= 1 and gender["N"] >= 1 and gender["95% CI"].startswith("[")
    assert rows["Accent"]["N"] >= 1  # marked Incorrect (other tests may audit the same clip too)
    assert plot["type"] == "matplotlib"


BAD_MESSAGES = {
    "not_audio": "could not be decoded as audio",
    "wrong_type": "is not an accepted audio type",
    "empty": "is empty (0 bytes)",
    "silent": "is silent",
    "no_samples": "holds no audio to analyze",
    "oversize": "MB; the limit is 1 MB",
    "too_long": "25.0 s long; the limit is 20 s",
}


def test_bad_uploads_show_a_message_and_the_app_keeps_working(space, bad_uploads, speech_clip, tmp_path):
    client = gradio_client.Client(space.url, verbose=False)
    for kind, message in BAD_MESSAGES.items():
        out = client.predict(gradio_client.handle_file(str(bad_uploads[kind])), "", api_name="/analyze")
        assert message in out[STATUS] and "uas-status-error" in out[STATUS], (kind, out[STATUS])
        assert out[UAS] is None and "Upload or record a clip" in out[CARD]
    out = client.predict(None, "", api_name="/analyze")
    assert "No audio: upload a file or record a clip first." in out[STATUS]

    # Past gradio's hard cap (4x the checked limit) the upload itself is refused; the server stays up.
    huge = tmp_path / "huge.wav"
    sf.write(huge, np.zeros(2_200_000, np.int16), 16_000, subtype="PCM_16")  # 4.4 MB
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a plain upload error
        client.predict(gradio_client.handle_file(str(huge)), "", api_name="/analyze")
    out = client.predict(gradio_client.handle_file(str(speech_clip)), "", api_name="/analyze")
    assert "uas-status-ok" in out[STATUS]
    assert out[UAS]["transcription"].startswith("[speech detected; not transcribed")  # no transcript typed


def test_launcher_script_serves_the_space(tmp_path, port_factory):
    port = port_factory()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    cmd = [
        sys.executable,
        str(REPO_ROOT / "spaces" / "uas-audio-demo" / "app.py"),
        "--port",
        str(port),
        "--audit-dir",
        str(tmp_path / "audits"),
        "--no-warm-up",  # only the page is checked here; preloading would compete for the 2 CPU cores
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, config = time.monotonic() + 90, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=2) as r:
                    config = r.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert config is not None, proc.stdout.read().decode() if proc.poll() is not None else "no answer in 90 s"
        assert "Unified Audio Schema demo" in config and "Offline acoustic analyzer" in config
    finally:
        proc.terminate()
        proc.wait(timeout=30)
