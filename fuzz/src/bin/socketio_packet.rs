//! AFL++ target: `confab_server::fuzzing::socketio_packet` (see fuzz/README.md).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        confab_server::fuzzing::socketio_packet(data);
    });
}
