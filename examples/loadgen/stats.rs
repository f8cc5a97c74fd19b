//! Small helpers: latency percentiles and process memory.

/// Percentile (0–100) of samples in microseconds, as milliseconds. Sorts in place.
pub fn pct_ms(samples: &mut [u32], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_unstable();
    let idx = ((p / 100.0) * (samples.len() - 1) as f64).round() as usize;
    samples[idx.min(samples.len() - 1)] as f64 / 1000.0
}

pub fn summary(name: &str, samples: &mut [u32]) -> String {
    if samples.is_empty() {
        return format!("{name}: no samples");
    }
    let mean = samples.iter().map(|&s| s as f64).sum::<f64>() / samples.len() as f64 / 1000.0;
    format!(
        "{name}: n={} mean={:.2}ms p50={:.2}ms p90={:.2}ms p99={:.2}ms p99.9={:.2}ms max={:.2}ms",
        samples.len(),
        mean,
        pct_ms(samples, 50.0),
        pct_ms(samples, 90.0),
        pct_ms(samples, 99.0),
        pct_ms(samples, 99.9),
        pct_ms(samples, 100.0),
    )
}

/// VmRSS of a process in KiB.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    for line in status.lines() {
        if let Some(rest) = line.strip_prefix("VmRSS:") {
            return Ok(rest.trim().trim_end_matches("kB").trim().parse()?);
        }
    }
    anyhow::bail!("no VmRSS for pid {pid}")
}
