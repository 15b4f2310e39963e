//! A product's signing keys from its JWKS URL (`--external-jwks-url`): fetched on first use,
//! kept, fetched again when a token names a key id not seen yet (the product rotated its keys)
//! and every ten minutes, at most once per [`MIN_REFETCH`]. Only RS256 (RSA keys) and ES256
//! (P-256 keys) are accepted, each key with the one algorithm its type allows.

use crate::error::AppError;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Keys are fetched again after this long, even if every token names a known one.
const MAX_AGE_MS: i64 = 10 * 60 * 1000;
/// Fetches are at least this far apart (a stream of made-up key ids costs one fetch per period).
const MIN_REFETCH: Duration = Duration::from_secs(1);
/// The largest JWKS document taken.
const MAX_BYTES: usize = 256 * 1024;

/// One usable key.
#[derive(Clone)]
pub struct ProductKey {
    /// The key.
    pub decoding: DecodingKey,
    /// The one algorithm tokens signed with it may use.
    pub algorithm: Algorithm,
}

/// The product's keys by id, and where they come from.
pub struct Jwks {
    url: String,
    client: reqwest::Client,
    keys: RwLock<Arc<HashMap<String, ProductKey>>>,
    /// When the keys were last fetched (Unix ms; 0: never).
    fetched_at: AtomicI64,
}

impl std::fmt::Debug for Jwks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwks")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Jwks {
    /// Keys to be fetched from `url` (an `http(s)` URL).
    pub fn new(url: &str) -> Result<Self, AppError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| AppError::Internal(format!("--external-jwks-url {url:?}: {e}")))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(AppError::Internal(
                "--external-jwks-url must be an http(s) URL".into(),
            ));
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| AppError::Internal(format!("HTTP client: {e}")))?;
        Ok(Self {
            url: url.to_owned(),
            client,
            keys: RwLock::default(),
            fetched_at: AtomicI64::new(0),
        })
    }

    /// The key a token names: from what is kept, or fetched again if it is unknown or the
    /// keys are old (and no fetch happened within [`MIN_REFETCH`]).
    pub async fn key(&self, kid: &str) -> Result<ProductKey, AppError> {
        let now = crate::store::now_ms();
        let fetched = self.fetched_at.load(Ordering::Acquire);
        let known = self.known(kid);
        let stale = now - fetched > MAX_AGE_MS;
        if known.is_none() || stale {
            let due = now - fetched >= MIN_REFETCH.as_millis() as i64;
            // One caller fetches; the others go on with what is kept.
            if due
                && self
                    .fetched_at
                    .compare_exchange(fetched, now, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                match self.fetch().await {
                    Ok(keys) => {
                        tracing::info!(keys = keys.len(), url = %self.url, "fetched the product's JWKS");
                        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keys);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, url = %self.url, "could not fetch the product's JWKS");
                        // A key kept from before still works; otherwise the token is not
                        // refused for a key it may well have: the keys are unreachable.
                        return known.ok_or_else(|| {
                            AppError::Unavailable(format!(
                                "the product's signing keys could not be fetched ({e}); retry shortly"
                            ))
                        });
                    }
                }
                return self.known(kid).ok_or_else(|| unknown(kid));
            }
        }
        known.ok_or_else(|| unknown(kid))
    }

    fn known(&self, kid: &str) -> Option<ProductKey> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner()).clone();
        keys.get(kid).cloned()
    }

    async fn fetch(&self) -> Result<HashMap<String, ProductKey>, String> {
        let response = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if body.len() > MAX_BYTES {
            return Err(format!(
                "a JWKS of {} bytes (at most {MAX_BYTES})",
                body.len()
            ));
        }
        let set: JwkSet = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        Ok(usable(&set))
    }
}

/// The keys of a set that have an id and a type Confab accepts.
fn usable(set: &JwkSet) -> HashMap<String, ProductKey> {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let algorithm = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                    Algorithm::ES256
                }
                _ => return None,
            };
            let decoding = DecodingKey::from_jwk(jwk).ok()?;
            Some((
                kid,
                ProductKey {
                    decoding,
                    algorithm,
                },
            ))
        })
        .collect()
}

fn unknown(kid: &str) -> AppError {
    AppError::AuthFailed(format!(
        "the token's key {kid:?} is not in the product's JWKS"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rsa_and_p256_keys_with_ids_are_kept() {
        let set: JwkSet = serde_json::from_value(serde_json::json!({ "keys": [
            { "kty": "RSA", "kid": "r", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB" },
            { "kty": "EC", "kid": "e", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" },
            { "kty": "oct", "kid": "s", "k": "c2VjcmV0" },
            { "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }
        ]}))
        .unwrap();
        let keys = usable(&set);
        let mut kept: Vec<_> = keys
            .iter()
            .map(|(k, v)| (k.as_str(), v.algorithm))
            .collect();
        kept.sort_by_key(|(k, _)| *k);
        assert_eq!(kept, [("e", Algorithm::ES256), ("r", Algorithm::RS256)]);
    }
}
