//! Latency percentiles and the printed report.

/// Latency samples in microseconds.
#[derive(Debug, Default)]
pub struct Latencies(pub Vec<u64>);

impl Latencies {
    /// Adds every sample of another set.
    pub fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// The `p`-th percentile in milliseconds.
    pub fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.sort_unstable();
        let i = ((self.0.len() as f64 - 1.0) * p / 100.0).round() as usize;
        self.0[i] as f64 / 1000.0
    }

    /// "p50 / p99 / max" in milliseconds.
    pub fn summary(&mut self) -> String {
        format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} samples)",
            self.percentile_ms(50.0),
            self.percentile_ms(99.0),
            self.percentile_ms(100.0),
            self.0.len()
        )
    }
}
