//! AFL++ target: `confab_server::fuzzing::rest_body` (see fuzz/README.md).

fn main() {
    afl::fuzz!(|data: &[u8]| {
        confab_server::fuzzing::rest_body(data);
    });
}
