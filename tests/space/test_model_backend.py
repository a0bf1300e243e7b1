"""The Space with a model folder: holistic / targeted generation through the model family's inference helpers."""

import pytest

from uas_hf.space.audio import load_clip
from uas_hf.space.backends import ModelBackend, load_backend


pytestmark = [
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    """A random tiny UAS-Audio saved with save_pretrained (weights + processor + remote code)."""
    from uas_hf.models.uas_audio.tiny import build_tiny_uas_audio

    model, processor = build_tiny_uas_audio()
    path = tmp_path_factory.mktemp("tiny-model")
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def test_model_backend_generates_and_survives_invalid_json(tiny_model_dir, speech_clip):
    backend = load_backend(tiny_model_dir)
    assert isinstance(backend, ModelBackend) and backend.short_name == f"model {tiny_model_dir.name}"
    backend.holistic_max_new_tokens, backend.targeted_max_new_tokens = 24, 8
    clip = load_clip(speech_clip)
    analysis = backend.analyze(clip)
    assert isinstance(analysis.raw_text, str) and analysis.backend == "model"
    # An untrained model writes noise: the Space shows the raw text and says so instead of failing.
    if not analysis.uas:
        assert "not valid UAS" in analysis.notes
    answer = backend.ask(clip, analysis, ["gender"], None)
    assert isinstance(answer, str) and answer


def test_model_space_hides_transcript_box_and_reports_unparseable_output(
    tiny_model_dir, speech_clip, tmp_path, port_factory
):
    gradio_client = pytest.importorskip("gradio_client")
    from uas_hf.space import build_demo, launch_demo

    backend = ModelBackend(tiny_model_dir, holistic_max_new_tokens=24, targeted_max_new_tokens=8)
    demo = build_demo(audit_dir=tmp_path, backend=backend)
    _, url, _ = launch_demo(demo, port=port_factory(), block=False, quiet=True)
    try:
        client = gradio_client.Client(url, verbose=False)
        out = client.predict(gradio_client.handle_file(str(speech_clip)), "", api_name="/analyze")
        assert ("uas-status-ok" in out[0]) or ("not valid UAS" in out[0] and "could not be parsed" in out[1])
        answer, status = client.predict("emotion", "", api_name="/ask")
        assert answer and "What emotion does the speaker express?" in status
        transcript = [
            c for c in demo.config["components"] if c.get("props", {}).get("label") == "Transcript (optional)"
        ]
        assert transcript and transcript[0]["props"]["visible"] is False
    finally:
        demo.close()
