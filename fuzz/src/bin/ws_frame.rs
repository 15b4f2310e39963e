//! AFL++ target: `confab_server::fuzzing::ws_frame` (see fuzz/README.md).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        confab_server::fuzzing::ws_frame(data);
    });
}
