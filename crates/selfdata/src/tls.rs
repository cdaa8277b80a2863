//! HTTPS served directly (`serve --tls-cert FILE --tls-key FILE`), for an
//! operator without a reverse proxy: rustls, through axum-server. The
//! certificate is read again whenever either file changes (checked every
//! few seconds), so a renewal (certbot, acme.sh) takes effect without a
//! restart; a file caught half-written is retried at the next check, the
//! certificate in use staying in use meanwhile.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use axum_server::tls_rustls::RustlsConfig;

/// The certificate chain and private key files (PEM).
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// How often the files are checked for a change.
    pub check_every: Duration,
}

impl Tls {
    /// What identifies the files' current contents without reading them.
    fn stamp(&self) -> Option<[(SystemTime, u64); 2]> {
        let one = |p: &PathBuf| {
            let m = std::fs::metadata(p).ok()?;
            Some((m.modified().ok()?, m.len()))
        };
        Some([one(&self.cert)?, one(&self.key)?])
    }

    /// Reads the files; fails with a sentence naming them.
    pub async fn load(&self) -> Result<RustlsConfig, std::io::Error> {
        RustlsConfig::from_pem_file(&self.cert, &self.key)
            .await
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!(
                        "cannot use the certificate {} with the key {}: {e}",
                        self.cert.display(),
                        self.key.display()
                    ),
                )
            })
    }

    /// Reloads `config` whenever the files change, for as long as the
    /// process runs.
    pub fn watch(self, config: RustlsConfig) {
        tokio::spawn(async move {
            let mut seen = self.stamp();
            loop {
                tokio::time::sleep(self.check_every).await;
                let now = self.stamp();
                if now.is_none() || now == seen {
                    continue;
                }
                match config.reload_from_pem_file(&self.cert, &self.key).await {
                    Ok(()) => {
                        seen = now;
                        tracing::info!(cert = %self.cert.display(), "the TLS certificate was reloaded");
                    }
                    Err(e) => tracing::warn!(
                        error = %e,
                        "the new TLS certificate cannot be used yet; the previous one stays in use"
                    ),
                }
            }
        });
    }
}
