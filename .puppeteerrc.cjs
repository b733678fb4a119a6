// pa11y drives Debian's chromium (/usr/bin/chromium, given by register/bench/lighthouse.py):
// npm install must never download a browser of its own.
module.exports = { skipDownload: true };
