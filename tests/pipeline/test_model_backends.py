"""Model-backed stages on tiny random models of real transformers classes, locally and behind a real HTTP server.

Random weights generate garbage, which is the point: Stage 3 must reject every record with a reason, the raw output
must be kept for inspection, and accepted + rejected must still equal the inputs.
"""

import json

import numpy as np
import pytest
from tiny_models import MAX_NEW_TOKENS

from uas_hf.data.qa import generate_qa
from uas_hf.pipeline import AudioSample, BackendError, Caption, build_captioner, build_synthesizer
from uas_hf.pipeline.openai_client import OpenAIChatClient, OpenAIClientConfig
from uas_hf.pipeline.prompts import CAPTION_PROMPT, synthesis_prompt
from uas_hf.pipeline.runner import AnnotateConfig, annotate
from uas_hf.schema import AGE_VALUES, EMOTION_VALUES, GENDER_VALUES


def rejected_lines(out):
    return [json.loads(line) for line in (out / "rejected.jsonl").open()]


def assert_all_rejected_with_reasons(out, summary, stage):
    assert summary["inputs"] == 10
    assert summary["accepted"] + summary["rejected"] == summary["inputs"]
    lines = rejected_lines(out)
    assert len(lines) == summary["rejected"]
    assert summary["rejected"] == 10  # garbage never validates
    for line in lines:
        assert line["stage"] == stage and line["reasons"], line
        assert all(r["code"] and r["message"] for r in line["reasons"])
        if stage == "validation":
            assert line["raw"] is not None and line["caption"]


def test_synthesis_prompt_meets_fig6_requirements():
    prompt = synthesis_prompt("A man speaks calmly over rain.", 'He said "hi".')
    assert "copied verbatim" in prompt and json.dumps('He said "hi".') in prompt
    for values in (AGE_VALUES, GENDER_VALUES, EMOTION_VALUES):
        assert ", ".join(f'"{v}"' for v in values) in prompt
    assert "unique" in prompt and "JSON object only" in prompt
    assert "no other word is allowed" in prompt
    no_speech = synthesis_prompt("Rain on a roof.", None)
    assert "no speech" in no_speech and "every paralinguistics field null" in no_speech
    assert "accent" in CAPTION_PROMPT and "timbre" in CAPTION_PROMPT and "continuous" in CAPTION_PROMPT


def test_transformers_backends_in_batches(tiny_qwen2_audio, tiny_text_lm, speech_folder, tmp_path):
    captioner = build_captioner("transformers", model=str(tiny_qwen2_audio), max_new_tokens=MAX_NEW_TOKENS)
    assert type(captioner.model).__name__ == "Qwen2AudioForConditionalGeneration"
    rng = np.random.default_rng(0)
    samples = [
        AudioSample(f"s{i}", rng.normal(0, 0.1, 16_000 * (i + 1)).astype(np.float32), 16_000, "hi") for i in range(3)
    ]
    captions = captioner.caption(samples)
    assert len(captions) == 3 and all(isinstance(c, Caption) for c in captions)
    synthesizer = build_synthesizer("transformers", model=str(tiny_text_lm), max_new_tokens=MAX_NEW_TOKENS)
    raws = synthesizer.synthesize(samples, captions)
    assert len(raws) == 3 and all(isinstance(r, str) for r in raws)
    assert captioner.provenance()["model_class"] == "Qwen2AudioForConditionalGeneration"

    out = tmp_path / "tf"
    summary = annotate(
        AnnotateConfig(
            str(speech_folder),
            str(out),
            captioner="transformers",
            captioner_kwargs={"model": str(tiny_qwen2_audio), "max_new_tokens": MAX_NEW_TOKENS},
            synthesizer="transformers",
            synthesizer_kwargs={"model": str(tiny_text_lm), "max_new_tokens": MAX_NEW_TOKENS},
            batch_size=4,
            progress=False,
        ),
        qa_generator=generate_qa,
    )
    assert_all_rejected_with_reasons(out, summary, "validation")
    assert any(code.startswith("parse.") for code in summary["rejection_reasons"])
    card = (out / "README.md").read_text()
    assert "Qwen2AudioForConditionalGeneration" in card and "Qwen2ForCausalLM" in card


def test_transformers_captioner_rejects_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="`model`"):
        build_captioner("transformers", model=str(tmp_path))


def test_openai_backends_against_a_real_server(openai_server, speech_folder, tmp_path):
    captioner = build_captioner("openai", base_url=openai_server, model="audio", max_tokens=MAX_NEW_TOKENS)
    sample = AudioSample("x", np.zeros(16_000, np.float32), 16_000, "hi")
    (caption,) = captioner.caption([sample])
    assert isinstance(caption, Caption) and caption.text
    captioner.close()

    out = tmp_path / "served"
    common = {"base_url": openai_server, "max_tokens": MAX_NEW_TOKENS, "concurrency": 4}
    summary = annotate(
        AnnotateConfig(
            str(speech_folder),
            str(out),
            captioner="openai",
            captioner_kwargs={**common, "model": "audio"},
            synthesizer="openai",
            synthesizer_kwargs={**common, "model": "text"},
            batch_size=5,
            progress=False,
        ),
        qa_generator=generate_qa,
    )
    assert_all_rejected_with_reasons(out, summary, "validation")


def test_unknown_model_is_an_http_error_per_sample(openai_server):
    synthesizer = build_synthesizer("openai", base_url=openai_server, model="nope", max_retries=0)
    sample = AudioSample("x", np.zeros(160, np.float32), 16_000, None)
    (result,) = synthesizer.synthesize([sample], [Caption("quiet")])
    assert isinstance(result, BackendError) and result.code == "backend.http_error" and "404" in result.message


def test_connection_errors_are_retried_with_backoff_then_recorded():
    from pipeline_helpers import free_port

    client = OpenAIChatClient(
        OpenAIClientConfig(f"http://127.0.0.1:{free_port()}/v1", "m", max_retries=2, backoff_s=0.05, timeout_s=1)
    )
    (result,) = client.complete_many([[{"role": "user", "content": "hi"}]])
    assert isinstance(result, BackendError) and result.code == "backend.connection"
    assert client.stats == {"requests": 3, "retries": 2, "failures": 1}


def test_timeouts_are_retried_then_recorded_and_the_job_goes_on(openai_server, speech_folder, tmp_path):
    # `min_tokens` (a vLLM sampling parameter the test server honours) makes each request genuinely slower than
    # the timeout. Kept last in this module: the server finishes the abandoned generations afterwards.
    slow = {
        "base_url": openai_server,
        "model": "audio",
        "timeout_s": 0.3,
        "max_retries": 1,
        "backoff_s": 0.05,
        "max_tokens": 400,
        "extra_body": {"min_tokens": 400},
    }
    captioner = build_captioner("openai", **slow)
    sample = AudioSample("x", np.zeros(16_000, np.float32), 16_000, "hi")
    (result,) = captioner.caption([sample])
    assert isinstance(result, BackendError) and result.code == "backend.timeout"
    assert captioner.client.stats == {"requests": 2, "retries": 1, "failures": 1}
    captioner.close()

    out = tmp_path / "timeouts"
    summary = annotate(
        AnnotateConfig(
            str(speech_folder),
            str(out),
            captioner="openai",
            captioner_kwargs={**slow, "max_retries": 0},
            synthesizer="openai",
            synthesizer_kwargs={"base_url": openai_server, "model": "text"},
            splits=["test"],
            batch_size=5,
            progress=False,
        ),
        qa_generator=generate_qa,
    )
    assert summary["inputs"] == 5 and summary["rejected"] == 5
    assert summary["rejection_reasons"] == {"backend.timeout": 5}
    assert {line["stage"] for line in rejected_lines(out)} == {"caption"}
