//! Figures about this process, read from `/proc` (Linux): what INFO's memory and
//! CPU sections print and the standard `process_*` metric families. Where there is
//! no `/proc`, every figure reads as zero rather than failing.

use std::fs;

/// Clock ticks per second of `/proc/*/stat` times (`CLK_TCK`, 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;
/// Page size the `statm` figures count in.
const PAGE_SIZE: u64 = 4096;

/// The fields of `/proc/self/stat` after the command name (which is in parentheses
/// and may hold spaces): index 0 is the state, field 3 of the whole line.
fn stat_fields() -> Vec<String> {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    rest.split_whitespace().map(str::to_string).collect()
}

fn field(fields: &[String], i: usize) -> f64 {
    fields
        .get(i)
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// Resident set size in bytes.
pub fn resident_bytes() -> u64 {
    statm(1)
}

/// Virtual memory size in bytes.
pub fn virtual_bytes() -> u64 {
    statm(0)
}

fn statm(i: usize) -> u64 {
    fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(i)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * PAGE_SIZE)
}

/// User and system CPU seconds.
pub fn cpu_seconds() -> (f64, f64) {
    let f = stat_fields();
    // utime and stime are fields 14 and 15 of the whole line.
    (
        field(&f, 11) / TICKS_PER_SECOND,
        field(&f, 12) / TICKS_PER_SECOND,
    )
}

/// When the process started, in seconds since the Unix epoch.
pub fn start_time_seconds() -> f64 {
    // starttime (field 22) counts ticks since boot; btime is boot in epoch seconds.
    let since_boot = field(&stat_fields(), 19) / TICKS_PER_SECOND;
    let boot = fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("btime "))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .unwrap_or(0.0);
    boot + since_boot
}

/// Open file descriptors (sockets included).
pub fn open_fds() -> u64 {
    fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64)
}

/// The soft limit on open file descriptors.
pub fn max_fds() -> u64 {
    fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Max open files"))?;
            line.split_whitespace().nth(3)?.parse::<u64>().ok()
        })
        .unwrap_or(0)
}

/// Physical memory of the machine in bytes.
pub fn total_system_memory() -> u64 {
    fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_plausible_on_linux() {
        if !std::path::Path::new("/proc/self/stat").exists() {
            return;
        }
        assert!(resident_bytes() > 0);
        assert!(virtual_bytes() >= resident_bytes());
        assert!(open_fds() >= 3, "stdin, stdout, stderr at least");
        assert!(max_fds() >= open_fds());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let start = start_time_seconds();
        assert!(start > 1.0e9 && start <= now + 1.0, "{start} vs {now}");
        assert!(total_system_memory() > 0);
    }
}
