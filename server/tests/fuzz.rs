//! A short fuzz run in the test suite: every input of the checked-in corpus (`fuzz/corpus/`,
//! the seeds and what the AFL++ campaigns kept) and random mutations of them, through the same
//! entry points the coverage-guided targets use (`confab_server::fuzzing`). None may panic.
//! The long, coverage-guided runs are in `fuzz/` (see its README and BENCHMARKS.md).

use confab_server::fuzzing;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;

/// Mutations per target (deterministic: a fixed seed).
const MUTATIONS: usize = 100_000;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut inputs: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no corpus for {target}");
    inputs
}

/// One random edit: flip, insert, delete, duplicate a run, or splice in another input.
fn mutate(rng: &mut StdRng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.gen_range(1..=4) {
        let at = if out.is_empty() {
            0
        } else {
            rng.gen_range(0..out.len())
        };
        match rng.gen_range(0..6) {
            0 if !out.is_empty() => out[at] ^= 1 << rng.gen_range(0..8),
            1 => out.insert(at, rng.gen::<u8>()),
            2 if !out.is_empty() => {
                out.remove(at);
            }
            3 => {
                let interesting = [b'"', b'{', b'}', b'[', b']', b',', b':', b'\\', 0, 0xff];
                out.insert(at, interesting[rng.gen_range(0..interesting.len())]);
            }
            4 if !out.is_empty() => {
                let end = (at + rng.gen_range(1..16)).min(out.len());
                let run = out[at..end].to_vec();
                out.splice(at..at, run);
            }
            _ => {
                let other = &others[rng.gen_range(0..others.len())];
                if !other.is_empty() {
                    let from = rng.gen_range(0..other.len());
                    out.truncate(at);
                    out.extend_from_slice(&other[from..]);
                }
            }
        }
    }
    out
}

fn run(target: &str, entry: fn(&[u8])) {
    let inputs = corpus(target);
    for input in &inputs {
        entry(input);
    }
    let mut rng = StdRng::seed_from_u64(0x00c0_ffee);
    for _ in 0..MUTATIONS {
        let input = &inputs[rng.gen_range(0..inputs.len())];
        let mutated = mutate(&mut rng, input, &inputs);
        entry(&mutated);
    }
}

#[test]
fn websocket_frames() {
    run("ws_frame", fuzzing::ws_frame);
}

#[test]
fn rest_bodies() {
    run("rest_body", fuzzing::rest_body);
}

#[test]
fn socketio_packets() {
    run("socketio_packet", fuzzing::socketio_packet);
}
