"""How every browser in this project starts: Debian's Chromium, headless, with no background traffic.

The flags keep Chromium from calling home (this machine's network is closed) and let it run as
root; tests, the benchmark and the screenshot script all launch it the same way.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
