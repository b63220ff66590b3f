//! New tokens, from the operating system's random number generator.

use keygate_domain::{Environment, KeyId};
use rand_core::{CryptoRng, OsRng, RngCore};

use crate::format::Token;
use crate::secret::Secret;

impl Token {
    /// A new token for `environment`: a fresh 128-bit key id and 256-bit secret from the OS RNG.
    pub fn generate(environment: Environment) -> Self {
        Self::generate_with(environment, &mut OsRng)
    }

    /// A new secret for an existing key id (a secret drawn at its reveal, after approval).
    pub fn generate_for(environment: Environment, key_id: KeyId) -> Self {
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        Self::new(environment, key_id, Secret::from_bytes(secret))
    }

    /// The same with a given cryptographic RNG (tests pass a seeded one).
    pub fn generate_with<R: RngCore + CryptoRng>(environment: Environment, rng: &mut R) -> Self {
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut secret);
        Self::new(environment, KeyId::from_bytes(id), Secret::from_bytes(secret))
    }
}
