"""The Space in headless Chromium (Debian's /usr/bin/chromium driven by Playwright; no browser is downloaded):
upload a clip, see the UAS rendering, audit one item, save screenshots to tests/artifacts/."""

import json
import re
import shutil
from pathlib import Path

import pytest


CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# stack.md: flags for a sandbox-less, offline headless Chromium.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} is missing (apt-get install -y chromium)"),
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]


def test_upload_analyze_and_audit_in_chromium(space, corpus_clip, bad_uploads):
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    external: list[str] = []

    def local_only(route):
        url = route.request.url
        if url.startswith(space.url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:  # nothing may leave 127.0.0.1: record and refuse
            external.append(url)
            route.abort()

    with sync_api.sync_playwright() as p:
        # Playwright gives every launch a fresh temporary profile (the --user-data-dir of stack.md).
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            sync_api.expect.set_options(timeout=TIMEOUT_MS)  # the first analysis also loads the VAD model
            page.route("**/*", local_only)
            page.goto(space.url)

            # A bad upload first: a visible error, and the page keeps working.
            page.locator("#uas-audio input[type=file]").set_input_files(str(bad_uploads["not_audio"]))
            sync_api.expect(page.locator("#uas-status .uas-status-error")).to_contain_text("could not be decoded")
            toast = page.get_by_test_id("toast-body")
            sync_api.expect(toast.get_by_test_id("toast-text")).to_contain_text("could not be decoded")
            page.screenshot(path=str(ARTIFACTS / "space_bad_upload.png"))
            toast.get_by_test_id("toast-close").click()
            sync_api.expect(toast).to_have_count(0)
            page.locator("#uas-audio button[aria-label='Clear']").first.click()

            # Analyze a real corpus clip: type its transcript, upload it (the upload triggers the analysis).
            page.get_by_label("Transcript (optional)").fill(corpus_clip.transcription)
            page.locator("#uas-audio input[type=file]").set_input_files(str(corpus_clip.path))
            sync_api.expect(page.locator("#uas-status")).to_contain_text(f"Analyzed {corpus_clip.path.name}")
            card = page.locator("#uas-card")
            sync_api.expect(card).to_contain_text(corpus_clip.transcription)
            sync_api.expect(card.locator(".uas-cell", has_text="Gender")).to_contain_text(re.compile("Male|Female"))
            sync_api.expect(card.locator(".uas-continuous")).not_to_have_count(0)
            sync_api.expect(page.locator("#uas-figure img")).to_be_visible()
            page.wait_for_timeout(300)  # let the figure finish painting
            page.screenshot(path=str(ARTIFACTS / "space_analyze.png"), full_page=True)

            # Ask (targeted mode): a typed question gets a short answer.
            page.get_by_role("tab", name="Ask").click()
            page.get_by_label("…or type a question").fill("Identify the speaker's emotion and gender.")
            page.get_by_role("button", name="Ask", exact=True).click()
            sync_api.expect(page.locator("#uas-answer textarea")).to_have_value(
                re.compile(r"Not determined .*, (Male|Female)$")
            )
            page.screenshot(path=str(ARTIFACTS / "space_ask.png"))

            # Audit one item: judge every field, save, see the Wilson table.
            page.get_by_role("tab", name="Audit").click()
            page.get_by_label("Annotator").fill("browser-test")
            for field in (
                "age",
                "gender",
                "emotion",
                "accent",
                "prosody",
                "timbre",
                "description",
                "discreteEvents",
                "continuousEvents",
            ):
                choice = "Unsure" if field in ("age", "emotion", "accent") else "Correct"
                page.locator(f"#audit-{field}").get_by_text(choice, exact=True).click()
            page.locator("#uas-save-audit").click()
            sync_api.expect(page.locator("#uas-audit-status")).to_contain_text("Saved 9 judgements")
            sync_api.expect(page.locator("#uas-audit-table")).to_contain_text("Discrete Events")
            page.wait_for_timeout(300)
            page.screenshot(path=str(ARTIFACTS / "space_audit.png"), full_page=True)
        finally:
            browser.close()

    saved = json.loads((space.audit_dir / "browser-test.jsonl").read_text())
    assert saved["fields"]["gender"]["judgement"] == "Correct" and saved["fields"]["gender"]["value"] in (
        "Male",
        "Female",
    )
    assert external == []
    assert (ARTIFACTS / "space_analyze.png").stat().st_size > 10_000
