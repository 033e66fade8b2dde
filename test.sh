#!/usr/bin/env bash
# The tests, with everything they need: on a fresh machine this installs what is missing,
# then runs them (what CI runs, via .ci/run). Installs, only when missing:
#   - Debian's chromium and fonts-liberation (the browser tests open report.html and a chart);
#   - Python's duckdb and pyspark packages, and Debian's openjdk-17-jre-headless (the SQL
#     tests run `concerns sql`'s query on DuckDB and on Spark in local mode).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is required: install Rust with rustup (https://rustup.rs)" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
apt_install() {
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
font=/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf
if { [ -z "${CHROMIUM:-}" ] && ! [ -x /usr/bin/chromium ]; } || ! [ -e "$font" ]; then
  echo "installing chromium and fonts-liberation (apt)" >&2
  apt_install chromium fonts-liberation
fi
for package in duckdb pyspark; do
  if ! python3 -c "import $package" >/dev/null 2>&1; then
    echo "installing $package (pip)" >&2
    python3 -m pip install --quiet "$package"
  fi
done
if ! command -v java >/dev/null 2>&1; then
  echo "installing openjdk-17-jre-headless (apt)" >&2
  apt_install openjdk-17-jre-headless
fi
cargo test --release --locked
# The committed report must match the bundled data (a test checks it too; here for a clear
# log line), with the binary the tests built (`cargo run --release` uses the same build).
./target/release/concerns report data/ai-customer-service-2023.csv --check
