"""RS256 key pairs for the auth service (dev keys for the embedded run; real ones are mounted)."""
from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def generate_keypair(private_path: str | Path, public_path: str | Path, overwrite: bool = False) -> bool:
    """Write a new 2048-bit RSA pair as PEM files. Returns False if they existed and were kept."""
    private_path, public_path = Path(private_path), Path(public_path)
    if private_path.exists() and public_path.exists() and not overwrite:
        return False
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    private_path.chmod(0o600)
    public_path.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return True
