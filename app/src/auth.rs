//! Who is signed in, shared by the sign-in gate and the signed-in layout.

use protocol::User;

/// Whether we know who is signed in yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Still asking the server (also what the server renders).
    Unknown,
    /// Nobody is signed in; maybe with a reason.
    SignedOut(Option<String>),
    /// This user is signed in.
    SignedIn(User),
}
