//! TLS to PostgreSQL as libpq's `sslmode` asks for it (`disable`, `allow`, `prefer`,
//! `require`, `verify-ca`, `verify-full`), with `sslrootcert`, `sslcert` and `sslkey` read from
//! the URL: the parameters are taken off the URL (the driver knows only the first three modes)
//! and turned into a rustls client configuration.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::PgError;

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Nothing (libpq's `prefer` and `require` without a root certificate).
    Nothing,
    /// Its chain up to a trusted root (`verify-ca`; `require` with `sslrootcert`).
    Chain,
    /// Its chain and that it names the host (`verify-full`).
    Full,
}

/// A URL's TLS parameters, read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Params {
    mode: SslMode,
    check: Check,
    root_cert: Option<String>,
    client_cert: Option<(String, String)>,
}

/// Takes libpq's TLS parameters off `url` (a `postgres://` URL; any other form is left as
/// it is, with libpq's default `prefer`).
fn split(url: &str) -> Result<(String, Params), String> {
    let mut p = Params {
        mode: SslMode::Prefer,
        check: Check::Nothing,
        root_cert: None,
        client_cert: None,
    };
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), p));
    };
    let (mut cert, mut key, mut mode) = (None, None, None);
    let mut kept = vec![];
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_decode(v);
        match k {
            "sslmode" => mode = Some(v),
            "sslrootcert" => p.root_cert = Some(v),
            "sslcert" => cert = Some(v),
            "sslkey" => key = Some(v),
            _ => kept.push(pair),
        }
    }
    let mode = mode.unwrap_or_else(|| "prefer".into());
    (p.mode, p.check) = match mode.as_str() {
        "disable" => (SslMode::Disable, Check::Nothing),
        "allow" | "prefer" => (SslMode::Prefer, Check::Nothing),
        "require" if p.root_cert.is_some() => (SslMode::Require, Check::Chain),
        "require" => (SslMode::Require, Check::Nothing),
        "verify-ca" => (SslMode::Require, Check::Chain),
        "verify-full" => (SslMode::Require, Check::Full),
        other => return Err(format!("invalid sslmode \"{other}\"")),
    };
    p.client_cert = match (cert, key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => return Err("sslcert and sslkey go together".into()),
    };
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, p))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            ) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The driver's configuration and TLS connector for `url`, its TLS parameters applied.
pub fn connect_config(url: &str) -> Result<(tokio_postgres::Config, MakeRustlsConnect), PgError> {
    let bad = |e: String| PgError::Connection(format!("invalid database URL: {e}"));
    let (plain, params) = split(url).map_err(bad)?;
    let mut config: tokio_postgres::Config = plain
        .parse()
        .map_err(|e: tokio_postgres::Error| bad(e.to_string()))?;
    config.ssl_mode(params.mode);
    let tls = client_config(&params).map_err(bad)?;
    Ok((config, MakeRustlsConnect::new(tls)))
}

/// A connector for cancel requests (they carry only the backend's key, and go where the
/// connection they cancel already went): TLS when the connection used it, unchecked.
pub fn cancel_connector() -> MakeRustlsConnect {
    static CONNECTOR: std::sync::OnceLock<MakeRustlsConnect> = std::sync::OnceLock::new();
    CONNECTOR
        .get_or_init(|| {
            let unchecked = Params {
                mode: SslMode::Prefer,
                check: Check::Nothing,
                root_cert: None,
                client_cert: None,
            };
            let config = client_config(&unchecked).expect("an unchecked TLS configuration builds");
            MakeRustlsConnect::new(config)
        })
        .clone()
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read(path: &str, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{what} \"{path}\": {e}"))
}

fn client_config(p: &Params) -> Result<rustls::ClientConfig, String> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let verifier: Arc<dyn ServerCertVerifier> = match p.check {
        Check::Nothing => Arc::new(Unchecked(provider.clone())),
        check => {
            let mut roots = RootCertStore::empty();
            match p.root_cert.as_deref() {
                None | Some("system") => {
                    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())
                }
                Some(path) => {
                    let pem = read(path, "sslrootcert")?;
                    for cert in CertificateDer::pem_slice_iter(&pem) {
                        let cert = cert.map_err(|e| format!("sslrootcert \"{path}\": {e}"))?;
                        roots
                            .add(cert)
                            .map_err(|e| format!("sslrootcert \"{path}\": {e}"))?;
                    }
                }
            }
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| e.to_string())?;
            Arc::new(Checked {
                webpki,
                names_too: check == Check::Full,
            })
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match &p.client_cert {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let pem = read(cert, "sslcert")?;
            let chain = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("sslcert \"{cert}\": {e}"))?;
            let key_pem = read(key, "sslkey")?;
            let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
                .map_err(|e| format!("sslkey \"{key}\": {e}"))?;
            builder
                .with_client_auth_cert(chain, key_der)
                .map_err(|e| e.to_string())
        }
    }
}

/// `prefer` and `require`: encrypted, the certificate not checked (as libpq does); the
/// handshake's signatures are still verified.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca` (the chain) and `verify-full` (the chain and the host's name).
#[derive(Debug)]
struct Checked {
    webpki: Arc<WebPkiServerVerifier>,
    names_too: bool,
}

impl ServerCertVerifier for Checked {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.names_too => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_parameters_come_off_the_url() {
        let (url, p) = split(
            "postgres://u@h:5/db?sslmode=verify-full&sslrootcert=%2Fca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(url, "postgres://u@h:5/db?application_name=x");
        assert_eq!((p.mode, p.check), (SslMode::Require, Check::Full));
        assert_eq!(p.root_cert.as_deref(), Some("/ca.pem"));
        let (url, p) = split("postgres://h/db?sslmode=require").unwrap();
        assert_eq!(url, "postgres://h/db");
        assert_eq!((p.mode, p.check), (SslMode::Require, Check::Nothing));
        let (_, p) = split("postgres://h/db?sslmode=require&sslrootcert=/r.pem").unwrap();
        assert_eq!(p.check, Check::Chain);
        let (_, p) = split("postgres://h/db").unwrap();
        assert_eq!((p.mode, p.check), (SslMode::Prefer, Check::Nothing));
        assert!(split("postgres://h/db?sslmode=sometimes").is_err());
        assert!(split("postgres://h/db?sslcert=/c.pem").is_err());
        let refused = match connect_config("postgres://h/db?sslmode=verify-ca&sslrootcert=/none") {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        };
        assert!(refused.contains("sslrootcert"), "{refused}");
    }
}
