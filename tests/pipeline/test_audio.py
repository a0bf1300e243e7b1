"""Decoding inputs: every unusable clip maps to a stable rejection code; fixable ones are fixed."""

import io

import numpy as np
import pytest
import soundfile as sf

from uas_hf.pipeline.audio import AudioLoadConfig, InputRejected, encode_wav, load_audio


def wav_bytes(array, sr=16_000, subtype="PCM_16"):
    buf = io.BytesIO()
    sf.write(buf, array, sr, subtype=subtype, format="WAV")
    return buf.getvalue()


TONE = (0.2 * np.sin(2 * np.pi * 220 * np.arange(16_000) / 16_000)).astype(np.float32)


def test_resamples_and_downmixes():
    stereo = np.stack([TONE, TONE], axis=1)
    out, facts = load_audio(wav_bytes(stereo, 8_000), AudioLoadConfig())
    assert facts == {"original_sampling_rate": 8_000, "original_num_channels": 2, "original_duration": 2.0}
    assert out.dtype == np.float32 and out.ndim == 1 and len(out) == 32_000


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "audio.empty"),
        (b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 4, "audio.decode_error"),
        (wav_bytes(TONE)[:5000], "audio.truncated"),
        (wav_bytes(np.zeros(0, np.float32)), "audio.empty"),
        (wav_bytes(np.full(16_000, np.nan, np.float32), subtype="FLOAT"), "audio.non_finite"),
        (wav_bytes(TONE[:400]), "audio.too_short"),
        (wav_bytes(np.tile(TONE, 5)), "audio.too_long"),
        (wav_bytes(TONE[:4000], 2_000), "audio.sampling_rate"),
    ],
    ids=["empty", "garbage", "truncated", "zero-length", "nan", "too-short", "too-long", "2-khz"],
)
def test_bad_audio_is_rejected_with_a_code(data, code):
    with pytest.raises(InputRejected) as info:
        load_audio(data, AudioLoadConfig(max_duration_s=4.0))
    assert info.value.code == code
    assert info.value.message


def test_encode_wav_round_trips():
    out, _ = load_audio(encode_wav(TONE, 16_000), AudioLoadConfig())
    np.testing.assert_allclose(out, TONE, atol=1e-4)


def test_config_errors_name_the_parameter():
    with pytest.raises(ValueError, match="`max_duration_s`"):
        AudioLoadConfig(max_duration_s=0.01, min_duration_s=0.05)
