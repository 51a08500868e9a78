"""Checks SignalCraft's rendered Slack messages with Slack's own Python SDK.

`cargo test` (core/tests/integration/slack.rs, `render_fixtures_for_slack_sdk`) writes every
rendered `chat.postMessage` / `chat.update` body to `target/tmp/slack-blocks/`, with a
`manifest.json` of the buttons each must carry. Here each block goes through
`slack_sdk.models.blocks.Block.parse`, the SDK's validators (`to_dict()` raises
`SlackObjectFormationError` on an invalid block) and back to JSON, which must be what we sent.
"""

import json
import os
import pathlib

import pytest
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    SectionBlock,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
BLOCKS_DIR = pathlib.Path(
    os.environ.get("SIGNALCRAFT_SLACK_BLOCKS_DIR", ROOT / "target" / "tmp" / "slack-blocks")
)
MANIFEST = BLOCKS_DIR / "manifest.json"


def manifest():
    if not MANIFEST.is_file():
        return {}
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


CASES = sorted(manifest())


def load(name):
    return json.loads((BLOCKS_DIR / name).read_text(encoding="utf-8"))


def test_rendered_files_are_there():
    assert MANIFEST.is_file(), (
        f"{MANIFEST} is missing: run `cargo test -p signalcraft-core --test integration "
        "slack::render_fixtures_for_slack_sdk` first"
    )
    files = sorted(p.name for p in BLOCKS_DIR.glob("*.json") if p.name != "manifest.json")
    assert files == CASES
    assert len(CASES) >= 10


@pytest.mark.parametrize("name", CASES)
def test_blocks_are_valid_slack_blocks(name):
    body = load(name)
    blocks = body["blocks"]
    assert isinstance(blocks, list) and 1 <= len(blocks) <= 50
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, f"unknown block type in {raw}"
        assert type(block) is not Block
        block.validate_json()  # raises SlackObjectFormationError
        # Written back by the SDK, nothing is lost or changed: the SDK drops keys a block
        # does not have (it only logs them), so an unknown key shows up here.
        assert block.to_dict() == raw
    assert [b.to_dict() for b in Block.parse_all(blocks)] == blocks


@pytest.mark.parametrize("name", CASES)
def test_texts_fit_slack_limits(name):
    body = load(name)
    assert body["channel"]
    assert isinstance(body["text"], str) and body["text"]
    assert len(body["text"]) <= 3000
    for raw in body["blocks"]:
        block = Block.parse(raw)
        if isinstance(block, HeaderBlock):
            assert block.text.type == "plain_text"
            assert len(block.text.text) <= 150
        elif isinstance(block, SectionBlock):
            assert block.text is None or len(block.text.text) <= 3000
            assert len(block.fields or []) <= 10
            for field in block.fields or []:
                assert len(field.text) <= 2000
        elif isinstance(block, ContextBlock):
            assert len(block.elements) <= 10
        elif isinstance(block, ActionsBlock):
            for element in block.elements:
                assert isinstance(element, ButtonElement)
                assert len(element.text.text) <= 75
                assert len(element.value) <= 2000
                assert len(element.action_id) <= 255


@pytest.mark.parametrize("name", CASES)
def test_buttons_and_their_values(name):
    body = load(name)
    expected = [tuple(b) for b in manifest()[name]["buttons"]]
    actions = [b for b in Block.parse_all(body["blocks"]) if isinstance(b, ActionsBlock)]
    got = [(e.action_id, e.value) for a in actions for e in a.elements]
    assert got == expected
    if expected:
        labels = [e.text.text for a in actions for e in a.elements]
        assert labels == ["Acknowledge", "Snooze 1h", "Resolve"]
    # Thread replies and updates address the original message.
    if name.endswith("_reply.json"):
        assert body["thread_ts"] and "ts" not in body
    elif name.endswith("_update.json"):
        assert body["ts"] and "thread_ts" not in body
    else:
        assert "ts" not in body and "thread_ts" not in body
        assert body["unfurl_links"] is False


def test_invalid_blocks_are_caught():
    """The checks have teeth: the SDK rejects a header over 150 characters and 11 fields, and
    an unknown key does not survive the round trip."""
    from slack_sdk.errors import SlackObjectFormationError

    with pytest.raises(SlackObjectFormationError):
        Block.parse({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}).to_dict()
    fields = [{"type": "mrkdwn", "text": "f"}] * 11
    with pytest.raises(SlackObjectFormationError):
        Block.parse({"type": "section", "fields": fields}).to_dict()
    bogus = {"type": "header", "text": {"type": "plain_text", "text": "x"}, "colour": "red"}
    assert Block.parse(bogus).to_dict() != bogus
