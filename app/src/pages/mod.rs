//! Screens of the app.

pub mod home;
pub mod signin;
pub mod status;
