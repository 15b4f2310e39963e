//! JSON Web Tokens: HS256 only, expiry required.

use super::external::ExternalTokens;
use crate::config::Config;
use crate::error::AppError;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use protocol::UserId;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The claims Confab puts in a token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Expiry (seconds since the epoch).
    pub exp: u64,
    /// The account's token generation when issued; a later logout makes it stale.
    pub gen: i64,
}

impl Claims {
    /// The user id claim, parsed.
    pub fn user_id(&self) -> Result<UserId, AppError> {
        self.sub
            .parse()
            .map_err(|_| AppError::AuthFailed("malformed token subject".into()))
    }
}

/// Signing and verification keys plus the pinned validation rules.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
    /// The product's own tokens, when accepted.
    external: Option<ExternalTokens>,
}

impl JwtKeys {
    /// Keys from a secret of at least 32 bytes.
    pub fn new(secret: &[u8], ttl: Duration) -> Result<Self, AppError> {
        if secret.len() < 32 {
            return Err(AppError::Internal(
                "the JWT secret must be at least 32 bytes".into(),
            ));
        }
        // Only HS256 is accepted: a token naming any other algorithm (including "none") fails.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        validation.set_required_spec_claims(&["exp", "sub", "iat"]);
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
            external: None,
        })
    }

    /// The product's own tokens' checks, if they are accepted.
    pub fn external(&self) -> Option<&ExternalTokens> {
        self.external.as_ref()
    }

    /// Keys from the configured secret, or from one generated once and kept in the data dir.
    pub fn from_config(config: &Config) -> Result<Self, AppError> {
        let ttl = Duration::from_secs(config.token_ttl_secs);
        let mut keys = match &config.jwt_secret {
            Some(secret) => Self::new(secret.as_bytes(), ttl)?,
            None => Self::new(&load_or_create_secret(&config.data_dir)?, ttl)?,
        };
        keys.external = ExternalTokens::from_config(config)?;
        Ok(keys)
    }

    /// Issues a token for a user; returns it with its expiry in Unix milliseconds.
    pub fn issue(&self, user: UserId, generation: i64) -> Result<(String, i64), AppError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let exp = now + self.ttl;
        let claims = Claims {
            sub: user.to_string(),
            iat: now.as_secs(),
            exp: exp.as_secs(),
            gen: generation,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::Internal(format!("signing token: {e}")))?;
        Ok((token, exp.as_millis() as i64))
    }

    /// Verifies signature, algorithm and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(super::refusal::refused)
    }
}

fn load_or_create_secret(dir: &Path) -> Result<Vec<u8>, AppError> {
    let path = dir.join("jwt_secret");
    let io = |e: std::io::Error| AppError::Internal(format!("{}: {e}", path.display()));
    if let Ok(hex_secret) = std::fs::read_to_string(&path) {
        return hex::decode(hex_secret.trim())
            .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())));
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut secret = vec![0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    write_private(&path, hex::encode(&secret).as_bytes()).map_err(io)?;
    tracing::info!(path = %path.display(), "generated a new JWT secret");
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(&[7u8; 32], Duration::from_secs(60)).unwrap()
    }

    #[test]
    fn issued_tokens_verify() {
        let user = UserId::new();
        let (token, _) = keys().issue(user, 3).unwrap();
        let claims = keys().verify(&token).unwrap();
        assert_eq!(claims.user_id().unwrap(), user);
        assert_eq!(claims.gen, 3);
    }

    #[test]
    fn another_secret_is_rejected() {
        let (token, _) = keys().issue(UserId::new(), 0).unwrap();
        let other = JwtKeys::new(&[8u8; 32], Duration::from_secs(60)).unwrap();
        assert!(matches!(other.verify(&token), Err(AppError::AuthFailed(_))));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(JwtKeys::new(b"short", Duration::from_secs(60)).is_err());
    }

    #[test]
    fn secret_is_generated_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_secret(dir.path()).unwrap();
        let b = load_or_create_secret(dir.path()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
    }
}
