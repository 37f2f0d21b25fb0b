"""test_page_controls.py - the browser page's controls, driven in headless Chromium.

The page draws its controls from GET /controls and sends changes with POST /controls; these
tests work its inputs as a user would (set a value, fire the events) and check that the
daemon's picture follows, that refusals show the daemon's reason, and that a view token may
only watch. Chromium comes from scripts/install-deps; without it the tests are skipped.
"""
import json
import os
import shutil
import struct
import tempfile
import time
import unittest

import camstream_e2e as e2e

CONTROL = "control-token-0123456789abcdef"
VIEW = "view-token-0123456789abcdefgh"


def jpeg_size(jpeg):
    """(width, height) from a JPEG's start-of-frame segment."""
    i = 2
    while i + 4 <= len(jpeg):
        if jpeg[i] != 0xFF:
            raise AssertionError("not a JPEG segment at %d" % i)
        marker = jpeg[i + 1]
        length = struct.unpack(">H", jpeg[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", jpeg[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no start of frame in the JPEG")


def snapshot(port, token=CONTROL):
    status, _, body = e2e.http_get(port, "/snapshot", headers=["Authorization: Bearer " + token])
    if status != 200:
        raise AssertionError("/snapshot answered %s" % status)
    return body


def controls(port, token=CONTROL):
    status, _, body = e2e.http_get(port, "/controls", headers=["Authorization: Bearer " + token])
    if status != 200:
        raise AssertionError("/controls answered %s: %r" % (status, body[:200]))
    return {c["name"]: c for c in json.loads(body)["controls"]}


def until(what, check, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s: not so within %d s" % (what, timeout))
        time.sleep(0.2)


# Sets an input of a control's row as a user would and fires the events a user's change fires.
SET_INPUT = """(() => {
  const e = document.querySelector('.ctl[data-name="%s"] %s');
  if (!e) return 'no such input';
  e.value = %s;
  e.dispatchEvent(new Event('input', {bubbles: true}));
  e.dispatchEvent(new Event('change', {bubbles: true}));
  return 'set';
})()"""

# True once the page has drawn its controls from /controls.
DRAWN = ("document.getElementById('controls')?.hidden === false && "
         "document.querySelectorAll('#ctl-list .ctl').length")


class PageControls(unittest.TestCase):
    def setUp(self):
        if shutil.which("chromium") is None:
            self.skipTest("chromium is not installed; scripts/install-deps installs it")
        self.folder = tempfile.mkdtemp(prefix="camstream-page-")
        self.addCleanup(shutil.rmtree, self.folder, True)

    def daemon(self, *args):
        d = e2e.Daemon("--source", "testpattern", "--noise", "8", "--quality", "80",
                       "--auth-token", CONTROL, "--view-token", VIEW, *args, size="640x480",
                       fps="15")
        self.addCleanup(d.kill)
        return d

    def page(self, d, token=CONTROL):
        p = e2e.ChromiumPage(self.folder)
        self.addCleanup(p.close)
        p.open("http://127.0.0.1:%d/?token=%s" % (d.port, token))
        p.wait_for(DRAWN, what="the page draws its controls")
        return p

    def set_input(self, page, name, selector, value):
        self.assertEqual(page.evaluate(SET_INPUT % (name, selector, json.dumps(value))), "set",
                         "%s %s" % (name, selector))

    def test_the_page_draws_every_control_the_daemon_lists(self):
        d = self.daemon("--config", "")
        listed = controls(d.port)
        p = self.page(d)
        drawn = p.evaluate("[...document.querySelectorAll('#ctl-list .ctl')]"
                           ".map(r => r.dataset.name)")
        self.assertEqual(drawn, list(listed))
        self.assertEqual(p.evaluate("document.querySelector('.ctl[data-name=quality] "
                                    "input[type=range]').value"), "80")
        # Read-only controls are drawn disabled, the daemon's reason beside them and as a tip.
        for name, c in listed.items():
            if "read_only" not in c:
                continue
            state = p.evaluate("(() => { const r = document.querySelector('.ctl[data-name=%s]');"
                               " return [[...r.querySelectorAll('input,select')].every(e => "
                               "e.disabled), r.title, r.querySelector('.why').textContent]; })()"
                               % name)
            self.assertEqual(state, [True, c["read_only"], "read-only: " + c["read_only"]], name)
        # The full-size still link carries the token.
        href = p.evaluate("document.getElementById('still').getAttribute('href')")
        self.assertEqual(href, "/snapshot?size=full&token=" + CONTROL)

    def test_the_quality_slider_makes_the_next_snapshot_smaller(self):
        d = self.daemon("--config", "")
        p = self.page(d)
        before = sum(len(snapshot(d.port)) for _ in range(3)) / 3
        self.set_input(p, "quality", "input[type=range]", "20")
        until("quality 20 in /controls", lambda: controls(d.port)["quality"]["value"] == 20)
        until("a snapshot under half the size of one at quality 80 (%d bytes)" % before,
              lambda: len(snapshot(d.port)) < before / 2)
        # The page shows the value the daemon reports, in the slider's number box too.
        p.wait_for("document.querySelector('.ctl[data-name=quality] input[type=number]').value"
                   " === '20'", what="the number box shows 20")

    def test_a_new_size_reaches_the_pages_picture(self):
        d = self.daemon("--config", "")
        p = self.page(d)
        p.wait_for("document.getElementById('stream').naturalWidth === 640",
                   what="the picture is 640 wide")
        # A menu where the source lists its sizes, else a text box.
        kind = p.evaluate("document.querySelector('.ctl[data-name=size] select') ? 'select' : "
                          "'input'")
        if kind == "select":
            p.evaluate("(() => { const s = document.querySelector('.ctl[data-name=size] select');"
                       " if (![...s.options].some(o => o.value === '320x240'))"
                       " s.add(new Option('320x240', '320x240')); })()")
        self.set_input(p, "size", kind, "320x240")
        p.wait_for("document.getElementById('stream').naturalWidth === 320 && "
                   "document.getElementById('stream').naturalHeight === 240",
                   what="the page's picture is 320x240")
        self.assertEqual(jpeg_size(snapshot(d.port)), (320, 240))

    def test_a_refusal_shows_the_daemons_reason(self):
        d = self.daemon("--config", "")
        p = self.page(d)
        self.set_input(p, "quality", "input[type=number]", "500")
        why = p.wait_for("document.querySelector('.ctl[data-name=quality] .why.refused')"
                         "?.textContent", what="a refusal beside quality")
        self.assertIn("out of range", why)
        self.assertEqual(controls(d.port)["quality"]["value"], 80)
        # The box goes back to the value the daemon has.
        p.wait_for("document.querySelector('.ctl[data-name=quality] input[type=number]').value"
                   " === '80'", what="the number box back at 80")

    def test_a_view_token_may_only_watch(self):
        d = self.daemon("--config", "")
        p = self.page(d, token=VIEW)
        self.set_input(p, "quality", "input[type=range]", "20")
        note = p.wait_for("document.querySelector('#ctl-msg.refused')?.textContent",
                          what="a note that this token may only watch")
        self.assertIn("only allows watching", note)
        why = p.evaluate("document.querySelector('.ctl[data-name=quality] .why').textContent")
        self.assertIn("control role", why)
        self.assertEqual(controls(d.port)["quality"]["value"], 80)
        # The picture itself still plays.
        self.assertTrue(p.wait_for("document.getElementById('stream').naturalWidth === 640",
                                   what="the picture plays"))

    def test_save_writes_the_changes_to_the_config_file(self):
        conf = os.path.join(self.folder, "camstreamd.conf")
        with open(conf, "w") as f:
            f.write("# camstreamd settings for a test\n")
        d = self.daemon("--config", conf)
        p = self.page(d)
        self.set_input(p, "quality", "input[type=number]", "35")
        until("quality 35 in /controls", lambda: controls(d.port)["quality"]["value"] == 35)
        with open(conf) as f:
            self.assertNotIn("35", f.read(), "nothing is saved before the save button")
        p.evaluate("document.getElementById('save').click()")
        p.wait_for("document.getElementById('ctl-msg').textContent === 'saved'",
                   what="the page says saved")
        with open(conf) as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^quality\s*=?\s*35\s*$")


if __name__ == "__main__":
    e2e.main()
