//! `cargo bench --bench load [-- OPTIONS]`: the load comparison against redis-server.
//!
//! A thin wrapper: everything happens in `benches/load/compare.py` (Python 3, stdlib
//! only), which builds ringbus and the fan-out probe with cargo, runs
//! `redis-benchmark` against ringbus and redis-server alternately, and writes
//! `target/load/latest.{json,md}`. Options after `--` go to the script
//! (`--quick`, `--rounds N`, `--only REGEX`, ...). Not run by a plain `cargo bench`:
//! it takes minutes and needs redis-server and redis-benchmark.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let dir = env!("CARGO_MANIFEST_DIR");
    // cargo passes `--bench` to every benchmark binary; the script does not want it.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let status = Command::new("python3")
        .arg(format!("{dir}/benches/load/compare.py"))
        .args(&args)
        .current_dir(dir)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(s) => {
            eprintln!("load: compare.py exited with {s}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("load: cannot run python3: {e}");
            ExitCode::FAILURE
        }
    }
}
