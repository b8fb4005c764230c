"""Content credentials (C2PA) for the cut, with c2pa-python.

Each take goes in as an ingredient carrying its own signed manifest: action `c2pa.created`
with the IPTC digital source type `trainedAlgorithmicMedia`, the backend as the software
agent and the model as its version. The cut's manifest places every take, then records
`c2pa.edited` (trims, transitions, text, grade, sound, disclosure label).

The signer is an EC P-256 certificate chain (signer first, then its CA) and key, from
TAKELAB_C2PA_CERT / TAKELAB_C2PA_KEY or the project file's `cut.credentials`; c2pa
refuses a self-signed certificate. TAKELAB_C2PA_TRUST (or `trust:`, or a `root.pem`
beside the chain) names the CA that readers should trust; c2pa reports
`signingCredential.untrusted` for a chain it has no anchor for. `make_dev_cert` (and
`make dev-cert`) makes a local development CA and signer: for tests and demos only.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from takelab.errors import CredentialsError as CredentialsError  # defined with every error
from takelab.journal.store import TakeRecord
from takelab.project.cut_model import Credentials, resolve
from takelab.settings import settings

CERT_ENV = "TAKELAB_C2PA_CERT"
KEY_ENV = "TAKELAB_C2PA_KEY"
TRUST_ENV = "TAKELAB_C2PA_TRUST"
AI_SOURCE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE_SOURCE = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
)
MP4 = "video/mp4"


@dataclass(frozen=True)
class SigningConfig:
    """The files a signer needs: chain (PEM, signer first), private key, trust anchors."""

    cert: Path
    key: Path
    trust: Path | None = None


def _text(path: Path | None) -> str | None:
    return str(path) if path else None


def signing_config(project_credentials: Credentials | None, base: Path) -> SigningConfig | None:
    """From the environment first, then the project file; None when neither says."""
    found = settings()
    cert, key = _text(found.c2pa_cert), _text(found.c2pa_key)
    trust_env = _text(found.c2pa_trust)
    if cert or key:
        if not (cert and key):
            missing = KEY_ENV if cert else CERT_ENV
            raise CredentialsError(
                f"{missing} is not set", hint=f"set both {CERT_ENV} and {KEY_ENV}, or neither"
            )
        config = SigningConfig(Path(cert).expanduser(), Path(key).expanduser())
    elif project_credentials is not None:
        c, k = resolve(base, project_credentials.cert), resolve(base, project_credentials.key)
        assert c is not None and k is not None
        config = SigningConfig(c, k, resolve(base, project_credentials.trust))
    else:
        return None
    trust = Path(trust_env).expanduser() if trust_env else config.trust
    if trust is None and (config.cert.parent / "root.pem").is_file():
        trust = config.cert.parent / "root.pem"  # the layout make_dev_cert writes
    for what, path in (("certificate", config.cert), ("key", config.key), ("trust", trust)):
        if path is not None and not path.is_file():
            raise CredentialsError(
                f"C2PA {what} file not found: {path}",
                hint=f"check {CERT_ENV} / {KEY_ENV} / {TRUST_ENV}; `make dev-cert` makes a "
                "development pair",
            )
    return SigningConfig(config.cert, config.key, trust)


# -- development certificates -------------------------------------------------------------


@dataclass(frozen=True)
class DevCert:
    """A development root CA and a signer it issued (PEM files)."""

    cert: Path  # signer then root: what c2pa's signer takes
    key: Path
    root: Path  # the trust anchor

    def exports(self) -> str:
        return (
            f"export {CERT_ENV}={self.cert}\nexport {KEY_ENV}={self.key}\n"
            f"export {TRUST_ENV}={self.root}"
        )


def make_dev_cert(folder: Path, *, days: int = 365) -> DevCert:
    """Write a local development CA and an EC P-256 signer into `folder`: `chain.pem`,
    `key.pem` (mode 600) and `root.pem`. Never use these for anything published."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "takelab development"),
            ]
        )

    def usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = name("takelab development root CA (not for publishing)")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days * 2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("takelab development signer"))
        .issuer_name(root_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=True, ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
        .sign(root_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    cert_path, key_path, root_path = folder / "chain.pem", folder / "key.pem", folder / "root.pem"
    cert_path.write_bytes(leaf.public_bytes(pem) + root.public_bytes(pem))
    root_path.write_bytes(root.public_bytes(pem))
    key_path.touch(mode=0o600)
    key_path.chmod(0o600)
    key_path.write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return DevCert(cert_path.resolve(), key_path.resolve(), root_path.resolve())


# -- signing and reading ------------------------------------------------------------------


def context(trust: Path | None) -> Any:
    """A c2pa Context that verifies against `trust` (PEM anchors), or the default one."""
    import c2pa

    if trust is None:
        return c2pa.Context()
    config = {"verify": {"verify_trust": True}, "trust": {"trust_anchors": trust.read_text()}}
    return c2pa.Context.from_dict(config)


def _signer(config: SigningConfig) -> Any:
    import c2pa

    try:
        info = c2pa.C2paSignerInfo(
            alg=b"es256",
            sign_cert=config.cert.read_bytes(),
            private_key=config.key.read_bytes(),
            ta_url=None,
        )
        return c2pa.Signer.from_info(info)
    except c2pa.C2paError as exc:
        raise CredentialsError(
            f"c2pa cannot sign with {config.cert}: {exc}",
            hint="give an EC P-256 chain (signer then CA, not self-signed) and its key",
        ) from exc


def _generator() -> list[dict[str, str]]:
    try:
        ours = version("takelab")
    except PackageNotFoundError:
        ours = "0"
    return [{"name": "takelab", "version": ours}]


def take_manifest(take: TakeRecord) -> dict[str, Any]:
    """A take's own manifest: created by a trained model, which backend and model."""
    return {
        "claim_generator_info": _generator(),
        "title": f"take {take.take_id} ({take.shot}/{take.variant})",
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": AI_SOURCE,
                            "softwareAgent": {"name": take.backend, "version": take.model},
                            "description": take.request.prompt[:2000],
                            "parameters": {
                                "backend": take.backend,
                                "model": take.model,
                                "seed": take.seed,
                                "take_id": take.take_id,
                            },
                        }
                    ]
                },
            }
        ],
    }


def cut_manifest(title: str, labels: Sequence[str], edits: str) -> dict[str, Any]:
    """The cut's manifest: a composite that places each take, then edits them."""
    actions: list[dict[str, Any]] = [
        {
            "action": "c2pa.created",
            "digitalSourceType": COMPOSITE_SOURCE,
            "softwareAgent": _generator()[0],
        }
    ]
    actions += [{"action": "c2pa.placed", "parameters": {"ingredientIds": [x]}} for x in labels]
    actions.append(
        {
            "action": "c2pa.edited",
            "digitalSourceType": COMPOSITE_SOURCE,
            "softwareAgent": _generator()[0],
            "description": edits,
        }
    )
    return {
        "claim_generator_info": _generator(),
        "title": title,
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": actions}}],
    }


def sign_cut(
    video: Path,
    dest: Path,
    takes: Sequence[tuple[TakeRecord, Path]],
    config: SigningConfig,
    *,
    work_dir: Path,
    edits: str,
) -> dict[str, Any]:
    """Sign `video` into `dest` with every take as an AI-created ingredient; returns the
    manifest store as c2pa's Reader reports it (plus `validation_state`)."""
    import c2pa

    ctx = context(config.trust)
    work_dir.mkdir(parents=True, exist_ok=True)
    labels: list[str] = []
    signed: list[tuple[str, TakeRecord, Path]] = []
    try:
        unique = {take.take_id: (take, path) for take, path in takes}  # a take used twice
        for take, path in unique.values():
            copy = work_dir / f"{take.take_id}.c2pa.mp4"
            with (
                c2pa.Builder(take_manifest(take), context=ctx) as builder,
                _signer(config) as signer,
                path.open("rb") as source,
                copy.open("w+b") as target,
            ):
                builder.sign(signer, MP4, source, target)
            label = f"take-{take.take_id}"
            labels.append(label)
            signed.append((label, take, copy))
        with c2pa.Builder(cut_manifest(dest.name, labels, edits), context=ctx) as builder:
            for label, take, copy in signed:
                ingredient = {
                    "title": f"take {take.take_id} ({take.shot}/{take.variant})",
                    "relationship": "componentOf",
                    "label": label,
                }
                with copy.open("rb") as stream:
                    builder.add_ingredient(ingredient, MP4, stream)
            with _signer(config) as signer, video.open("rb") as source, dest.open("w+b") as out:
                builder.sign(signer, MP4, source, out)
    except c2pa.C2paError as exc:
        dest.unlink(missing_ok=True)
        raise CredentialsError(f"c2pa could not sign the cut: {exc}") from exc
    finally:
        for _, _, copy in signed:
            copy.unlink(missing_ok=True)
    return read_manifest(dest, config.trust)


def read_manifest(path: Path, trust: Path | None = None) -> dict[str, Any]:
    """The manifest store of a signed file as a dict, with `validation_state` (Trusted,
    Valid or Invalid) and `validation_results` added."""
    import c2pa

    with c2pa.Reader(str(path), context=context(trust)) as reader:
        store: dict[str, Any] = json.loads(reader.json())
        store["validation_state"] = reader.get_validation_state()
        store["validation_results"] = reader.get_validation_results()
    return store


def describe_store(store: dict[str, Any]) -> str:
    """The failure (or else informational) codes of a manifest store, in one line."""
    results = store.get("validation_results") or {}
    active = results.get("activeManifest") or {}
    codes = [item.get("code", "") for item in active.get("failure", [])]
    return ", ".join(codes) or "no failures"


def ingredient_sources(store: dict[str, Any]) -> list[list[str]]:
    """For each ingredient of the active manifest, the digital source types its own
    manifest's actions declare."""
    manifests = store.get("manifests", {})
    active = manifests.get(store.get("active_manifest", ""), {})
    out = []
    for ingredient in active.get("ingredients", []):
        own = manifests.get(ingredient.get("active_manifest", ""), {})
        types = [
            action.get("digitalSourceType", "")
            for assertion in own.get("assertions", [])
            if assertion.get("label", "").startswith("c2pa.actions")
            for action in assertion.get("data", {}).get("actions", [])
        ]
        out.append([t for t in types if t])
    return out


__all__ = [
    "AI_SOURCE",
    "CERT_ENV",
    "KEY_ENV",
    "TRUST_ENV",
    "CredentialsError",
    "DevCert",
    "SigningConfig",
    "describe_store",
    "ingredient_sources",
    "make_dev_cert",
    "read_manifest",
    "sign_cut",
    "signing_config",
]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m takelab.post.credentials DIR`: make a development pair in DIR."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m takelab.post.credentials DIR", file=sys.stderr)
        return 2
    cert = make_dev_cert(Path(args[0]).resolve())
    print(f"development C2PA signer written to {cert.cert.parent} (not for publishing)")
    print("to sign cuts with it, set:")
    print(cert.exports())
    return 0


if __name__ == "__main__":
    sys.exit(main())
