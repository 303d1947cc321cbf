"""Checks WorkhiveChains' EVM output against eth-account / eth-utils, the reference Python libraries.

Input (JSON file named on the command line), written by EthAccountCrossCheckTests.swift:
  {"transactions": [{"raw", "hash", "signing_hash", "sender", "private_key", "chain_id", "nonce", "max_priority_fee_per_gas",
                     "max_fee_per_gas", "gas", "to", "value", "data"}],
   "keccak": [{"input", "hash"}], "eip55": [{"lower", "checksummed"}]}
Prints one line per check group and exits non-zero on the first disagreement, naming it.
"""
import json
import sys

from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes


def fail(message):
    print("MISMATCH: " + message)
    sys.exit(1)


def as_bytes(hex_string):
    return bytes.fromhex(hex_string[2:] if hex_string.startswith("0x") else hex_string)


def check_transaction(i, case):
    raw = as_bytes(case["raw"])
    decoded = TypedTransaction.from_bytes(HexBytes(raw))
    fields = decoded.as_dict()
    expected = {
        "type": 2,
        "chainId": int(case["chain_id"]),
        "nonce": int(case["nonce"]),
        "maxPriorityFeePerGas": int(case["max_priority_fee_per_gas"]),
        "maxFeePerGas": int(case["max_fee_per_gas"]),
        "gas": int(case["gas"]),
        "to": as_bytes(case["to"]),
        "value": int(case["value"]),
        "data": as_bytes(case["data"]),
    }
    for key, want in expected.items():
        got = fields.get(key)
        if key in ("to", "data"):
            got = as_bytes(got) if isinstance(got, str) else bytes(got)
        if got != want:
            fail(f"tx {i}: field {key}: eth-account decoded {got!r}, Swift meant {want!r}")
    if list(fields.get("accessList", [])) != []:
        fail(f"tx {i}: access list not empty")
    # TypedTransaction.hash() is the signing hash, keccak(0x02 || rlp(unsigned fields)).
    if decoded.hash() != as_bytes(case["signing_hash"]):
        fail(f"tx {i}: signing hash {decoded.hash().hex()} != Swift {case['signing_hash']}")
    sender = Account.recover_transaction(raw)
    if sender != case["sender"]:
        fail(f"tx {i}: recovered sender {sender} != Swift {case['sender']}")
    # Sign the same fields with eth-account: RFC 6979 nonces make the bytes identical.
    signed = Account.sign_transaction(
        {
            "type": 2,
            "chainId": expected["chainId"],
            "nonce": expected["nonce"],
            "maxPriorityFeePerGas": expected["maxPriorityFeePerGas"],
            "maxFeePerGas": expected["maxFeePerGas"],
            "gas": expected["gas"],
            "to": to_checksum_address(expected["to"]),
            "value": expected["value"],
            "data": expected["data"],
            "accessList": [],
        },
        case["private_key"],
    )
    if bytes(signed.hash) != as_bytes(case["hash"]):
        fail(f"tx {i}: transaction hash 0x{bytes(signed.hash).hex()} != Swift {case['hash']}")
    if bytes(signed.raw_transaction) != raw:
        fail(f"tx {i}: eth-account signs 0x{bytes(signed.raw_transaction).hex()}, Swift signed {case['raw']}")
    if Account.from_key(case["private_key"]).address != case["sender"]:
        fail(f"tx {i}: key's address differs from Swift's")


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    for i, case in enumerate(cases["transactions"]):
        check_transaction(i, case)
    print(f"transactions: {len(cases['transactions'])} decoded field by field, signing hash and tx hash agree, sender recovered, eth-account re-signs them byte for byte")
    for case in cases["keccak"]:
        got = keccak(as_bytes(case["input"])).hex()
        if got != case["hash"]:
            fail(f"keccak of {len(case['input']) // 2} bytes: eth-utils {got} != Swift {case['hash']}")
    print(f"keccak: {len(cases['keccak'])} inputs agree")
    for case in cases["eip55"]:
        got = to_checksum_address(case["lower"])
        if got != case["checksummed"]:
            fail(f"EIP-55 of {case['lower']}: eth-utils {got} != Swift {case['checksummed']}")
    print(f"eip55: {len(cases['eip55'])} addresses agree")
    print("OK")


if __name__ == "__main__":
    main()
