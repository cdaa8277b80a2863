//! Checking a checkpoint and its proofs offline (`selfdata log verify`),
//! from files a resident saved, without the server.

use super::*;

/// What `selfdata log verify` is given (file contents, already read).
#[derive(Debug, Clone, Default)]
pub struct VerifyInput {
    /// A checkpoint as served (JSON with `checkpoint` and `verifier_key`), or a bare signed note.
    pub checkpoint: String,
    /// The verifier key to trust; the one in the checkpoint file when `None`.
    pub key: Option<String>,
    /// An inclusion proof as served.
    pub inclusion: Option<String>,
    /// The entry's exact bytes; the entry carried in the proof when `None`.
    pub entry: Option<Vec<u8>>,
    /// A consistency proof as served, and the older checkpoint it starts from.
    pub consistency: Option<String>,
    pub old_checkpoint: Option<String>,
}

pub(crate) fn decode_hashes(list: &[String]) -> Result<Vec<Hash>, String> {
    list.iter()
        .map(|h| {
            B64.decode(h)
                .ok()
                .and_then(|b| <Hash>::try_from(b.as_slice()).ok())
                .ok_or_else(|| "A proof hash is not a base64 SHA-256 hash.".to_owned())
        })
        .collect()
}

pub(crate) fn open_checkpoint(
    text: &str,
    key: Option<&str>,
) -> Result<(Checkpoint, String), String> {
    let (note, served_key) = match serde_json::from_str::<SignedCheckpoint>(text) {
        Ok(s) => (s.checkpoint, Some(s.verifier_key)),
        Err(_) => (text.to_owned(), None),
    };
    let vkey = key
        .map(str::to_owned)
        .or(served_key)
        .ok_or("The checkpoint file carries no verifier key; give one with --key.")?;
    let verifier = LogVerifier::parse(&vkey).map_err(|e| format!("The key is refused: {e}."))?;
    let checkpoint = verifier
        .verify(&note)
        .map_err(|e| format!("The checkpoint is refused: {e}."))?;
    Ok((checkpoint, vkey))
}

/// Checks a checkpoint's signature and the proofs given, offline. `Ok`
/// holds one sentence per check that passed; `Err` the first failure.
pub fn verify_offline(input: &VerifyInput) -> Result<Vec<String>, String> {
    let mut said = Vec::new();
    let (checkpoint, vkey) = open_checkpoint(&input.checkpoint, input.key.as_deref())?;
    said.push(format!(
        "The checkpoint of {} ({} entries) is signed by {}.",
        checkpoint.origin,
        checkpoint.size,
        vkey.split('+').next().unwrap_or("")
    ));
    if let Some(text) = &input.inclusion {
        let proof: InclusionProof = serde_json::from_str(text)
            .map_err(|e| format!("The inclusion proof file is not a proof: {e}."))?;
        if proof.size != checkpoint.size {
            return Err(format!(
                "The inclusion proof is for a log of {} entries, the checkpoint for {}; download both again.",
                proof.size, checkpoint.size
            ));
        }
        let entry = match &input.entry {
            Some(bytes) => bytes.clone(),
            None => B64
                .decode(&proof.entry)
                .map_err(|_| "The proof's entry is not base64.".to_owned())?,
        };
        let hashes = decode_hashes(&proof.proof)?;
        selfdata_translog::verify_inclusion(
            &selfdata_translog::leaf_hash(&entry),
            proof.index,
            proof.size,
            &hashes,
            &checkpoint.root,
        )
        .map_err(|e| format!("Entry {} is NOT proven to be in the log: {e}.", proof.index))?;
        said.push(format!(
            "Entry {} is in the log, unchanged: {}",
            proof.index,
            String::from_utf8_lossy(&entry)
        ));
    }
    match (&input.consistency, &input.old_checkpoint) {
        (Some(text), Some(old)) => {
            let proof: ConsistencyProof = serde_json::from_str(text)
                .map_err(|e| format!("The consistency proof file is not a proof: {e}."))?;
            let (old, _) = open_checkpoint(old, Some(&vkey))?;
            if old.origin != checkpoint.origin {
                return Err("The two checkpoints are of different logs.".into());
            }
            if proof.from != old.size || proof.to != checkpoint.size {
                return Err(format!(
                    "The consistency proof goes from {} to {} entries, the checkpoints hold {} and {}.",
                    proof.from, proof.to, old.size, checkpoint.size
                ));
            }
            let hashes = decode_hashes(&proof.proof)?;
            selfdata_translog::verify_consistency(
                old.size,
                checkpoint.size,
                &old.root,
                &checkpoint.root,
                &hashes,
            )
            .map_err(|e| {
                format!(
                    "The log of {} entries is NOT an extension of the older one of {}: {e}.",
                    checkpoint.size, old.size
                )
            })?;
            said.push(format!(
                "The log of {} entries extends the older one of {} without changing it.",
                checkpoint.size, old.size
            ));
        }
        (None, None) => {}
        _ => {
            return Err(
                "A consistency check needs both --consistency and --old-checkpoint.".into(),
            );
        }
    }
    Ok(said)
}
