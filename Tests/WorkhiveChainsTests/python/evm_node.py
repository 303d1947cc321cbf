"""A local EVM for the payout tests: py-evm through eth-tester, served as Ethereum JSON-RPC over HTTP on
loopback, with a real ERC-20 (TestUSDT.vy, compiled by vyper) deployed on each chain.

    evm_node.py --chain NAME:CHAIN_ID:DECIMALS[:FINALIZED_LAG] [--chain ...] [--block-time S] [--tail-blocks N]

Each chain is independent (its own py-evm state, token and port). FINALIZED_LAG (default 2) is how far
the "finalized" block trails the head; "-" makes the node refuse that tag, as pre-merge nodes do.

Prints one JSON line per chain ({"name", "url", "chain_id", "token", "decimals"}), then {"ready": true}.
Exits when its standard input closes, so it never outlives the test process that started it.

eth-tester has no transaction pool of its own worth the name (py-evm executes what it is given), so this
node keeps one with geth's rules and geth's messages, which BSC and Arbitrum Nitro (both geth forks) also
answer: "already known" for bytes it holds, "nonce too low" for a nonce already on chain (these very bytes
too, once mined), "replacement transaction underpriced" for a same-nonce transaction without a 10% bump,
"invalid chain id" (py-evm does not check a typed transaction's chain id itself), and "insufficient funds
for gas * price + value". Every --block-time seconds a block takes the pool's executable transactions (one
block per transaction, as eth-tester mines) or is mined empty; once the pool is empty and --tail-blocks
blocks have passed since the last transaction, an idle chain stops mining until the next one arrives.

Methods beyond the standard ones, for the tests: test_fund(address, wei, token_units), test_setMining(bool),
test_mine(n), test_dropPool(), test_stall(method, seconds, after_processing).
"""
import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import vyper
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed, TransactionNotFound
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address
from hexbytes import HexBytes

GWEI = 10**9


class RPCError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def q(n):
    return n if isinstance(n, str) else hex(n)


def as_int(value):
    return int(value, 16) if isinstance(value, str) else int(value)


class Chain:
    def __init__(self, name, chain_id, decimals, finalized_lag, bytecode, args):
        backend = PyEVMBackend()
        backend.chain.chain_id = chain_id  # what the CHAINID opcode sees
        self.tester = EthereumTester(backend=backend, auto_mine_transactions=True)
        self.name = name
        self.chain_id = chain_id
        self.decimals = decimals
        self.tip_wei = args.tip_wei
        self.finalized_tag = finalized_lag is not None
        self.finalized_lag = finalized_lag or 0
        self.tail_blocks = args.tail_blocks
        self.last_transaction_block = 0
        self.lock = threading.RLock()
        self.pool = {}  # tx hash (0x hex) -> dict(raw, sender, nonce, max_fee, tip)
        self.mining = True
        self.stalls = []  # [method, seconds, after_processing]
        self.owner = self.tester.get_accounts()[0]
        ctor = abi_encode(["string", "string", "uint8"], ["Test USDT", "USDT", decimals])
        tx_hash = self.tester.send_transaction({
            "from": self.owner, "data": bytecode + ctor.hex(), "gas": 3_000_000,
            "max_fee_per_gas": 10 * GWEI, "max_priority_fee_per_gas": GWEI,
        })
        self.token = to_checksum_address(self.tester.get_transaction_receipt(tx_hash)["contract_address"])

    # --- the pool, with geth's rules -------------------------------------------------------------

    def send_raw(self, raw_hex):
        raw = bytes.fromhex(raw_hex[2:] if raw_hex.startswith("0x") else raw_hex)
        if not raw or raw[0] != 2:
            raise RPCError(-32000, "transaction type not supported")
        try:
            fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
            sender = Account.recover_transaction(raw)
        except Exception as error:  # noqa: BLE001 - any decoding failure is a bad transaction
            raise RPCError(-32000, f"rlp: invalid transaction: {error}")
        if fields["chainId"] != self.chain_id:
            raise RPCError(-32000, "invalid chain id")
        tx_hash = "0x" + keccak(raw).hex()
        with self.lock:
            if tx_hash in self.pool:
                raise RPCError(-32000, "already known")
            state = self.tester.get_nonce(sender)
            nonce = fields["nonce"]
            if nonce < state:
                raise RPCError(-32000, f"nonce too low: address {sender}, tx: {nonce} state: {state}")
            max_fee, tip = fields["maxFeePerGas"], fields["maxPriorityFeePerGas"]
            for other_hash, other in list(self.pool.items()):
                if other["sender"] == sender and other["nonce"] == nonce:
                    if max_fee * 10 < other["max_fee"] * 11 or tip * 10 < other["tip"] * 11:
                        raise RPCError(-32000, "replacement transaction underpriced")
                    del self.pool[other_hash]
            cost = fields["gas"] * max_fee + fields["value"]
            balance = self.tester.get_balance(sender)
            if balance < cost:
                raise RPCError(-32000, f"insufficient funds for gas * price + value: address {sender} have {balance} want {cost}")
            self.pool[tx_hash] = {"raw": raw, "sender": sender, "nonce": nonce, "max_fee": max_fee, "tip": tip,
                                  "fields": fields}
        return tx_hash

    def pending_nonce(self, address):
        with self.lock:
            nonce = self.tester.get_nonce(address)
            held = {p["nonce"] for p in self.pool.values() if p["sender"].lower() == address.lower()}
            while nonce in held:
                nonce += 1
            return nonce

    def mine(self, blocks=1):
        with self.lock:
            for _ in range(blocks):
                included = False
                progress = True
                while progress:
                    progress = False
                    for tx_hash, p in sorted(self.pool.items(), key=lambda item: item[1]["nonce"]):
                        if p["nonce"] != self.tester.get_nonce(p["sender"]):
                            continue
                        del self.pool[tx_hash]
                        try:
                            self.tester.send_raw_transaction("0x" + p["raw"].hex())  # mines one block
                            included = progress = True
                            self.last_transaction_block = self.head()
                        except Exception as error:  # noqa: BLE001 - evicted, as geth drops what cannot execute
                            print(f"evm_node: {self.name}: dropped {tx_hash}: {error}", file=sys.stderr, flush=True)
                if not included:
                    self.tester.mine_blocks(1)

    def produce_blocks(self, block_time):
        while True:
            time.sleep(block_time)
            with self.lock:
                busy = self.pool or self.head() < self.last_transaction_block + self.tail_blocks
            if self.mining and busy:
                self.mine()

    # --- reads -----------------------------------------------------------------------------------

    def head(self):
        return self.tester.get_block_by_number("latest")["number"]

    def next_base_fee(self):
        return self.tester.get_block_by_number("pending")["base_fee_per_gas"]

    def block(self, tag):
        if tag in ("finalized", "safe"):
            if not self.finalized_tag:
                raise RPCError(-39001, "unknown block")
            number = max(0, self.head() - self.finalized_lag)
        elif tag in ("latest", "pending"):
            number = self.head()
        elif tag == "earliest":
            number = 0
        else:
            number = as_int(tag)
        if number > self.head():
            return None
        b = self.tester.get_block_by_number(number)
        return {
            "number": q(b["number"]), "hash": b["hash"], "parentHash": b["parent_hash"], "timestamp": q(b["timestamp"]),
            "gasLimit": q(b["gas_limit"]), "gasUsed": q(b["gas_used"]), "baseFeePerGas": q(b["base_fee_per_gas"]),
            "transactions": list(b["transactions"]),
        }

    def receipt(self, tx_hash):
        with self.lock:
            if tx_hash in self.pool:
                return None
            try:
                r = self.tester.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                return None
        if r.get("block_number") is None:
            return None
        return {
            "transactionHash": r["transaction_hash"], "blockHash": r["block_hash"], "blockNumber": q(r["block_number"]),
            "transactionIndex": q(r["transaction_index"]), "from": r["from"], "to": r["to"],
            "contractAddress": r["contract_address"], "gasUsed": q(r["gas_used"]),
            "cumulativeGasUsed": q(r["cumulative_gas_used"]), "effectiveGasPrice": q(r["effective_gas_price"]),
            "status": q(r["status"]), "type": q(r["type"]),
            "logs": [{"address": log["address"], "topics": list(log["topics"]), "data": log["data"]} for log in r["logs"]],
        }

    def transaction(self, tx_hash):
        with self.lock:
            if tx_hash in self.pool:
                p = self.pool[tx_hash]
                f = p["fields"]
                return {"hash": tx_hash, "from": p["sender"], "nonce": q(p["nonce"]), "to": to_checksum_address(f["to"]),
                        "blockNumber": None, "blockHash": None, "input": "0x" + f["data"].hex(), "type": "0x2"}
            try:
                t = self.tester.get_transaction_by_hash(tx_hash)
            except TransactionNotFound:
                return None
        return {"hash": t["hash"], "from": t["from"], "nonce": q(t["nonce"]), "to": t["to"],
                "blockNumber": q(t["block_number"]) if t.get("block_number") is not None else None,
                "blockHash": t.get("block_hash"), "input": t["data"], "type": q(t["type"]) if "type" in t else "0x2"}

    def call_params(self, call):
        # eth-tester charges a call's gas to its sender: calls without one come from the rich deployer.
        params = {"from": call.get("from") or self.owner}
        if call.get("to"):
            params["to"] = call["to"]
        params["data"] = call.get("data") or call.get("input") or "0x"
        if call.get("value"):
            params["value"] = as_int(call["value"])
        return params

    # --- test controls ---------------------------------------------------------------------------

    def fund(self, address, wei, token_units):
        with self.lock:
            self.last_transaction_block = self.head() + 2
            if as_int(wei) > 0:
                self.tester.send_transaction({"from": self.owner, "to": address, "value": as_int(wei), "gas": 21_000,
                                              "max_fee_per_gas": 10 * GWEI, "max_priority_fee_per_gas": GWEI})
            if as_int(token_units) > 0:
                data = function_signature_to_4byte_selector("mint(address,uint256)") + abi_encode(
                    ["address", "uint256"], [address, as_int(token_units)])
                self.tester.send_transaction({"from": self.owner, "to": self.token, "data": "0x" + data.hex(),
                                              "gas": 200_000, "max_fee_per_gas": 10 * GWEI, "max_priority_fee_per_gas": GWEI})
        return True

    # --- dispatch --------------------------------------------------------------------------------

    def handle(self, method, params):
        t = self.tester
        if method == "eth_chainId":
            return q(self.chain_id)
        if method == "net_version":
            return str(self.chain_id)
        if method == "eth_blockNumber":
            return q(self.head())
        if method == "eth_getBlockByNumber":
            with self.lock:
                return self.block(params[0])
        if method == "eth_getCode":
            return t.get_code(params[0])
        if method == "eth_getBalance":
            return q(t.get_balance(params[0]))
        if method == "eth_getTransactionCount":
            tag = params[1] if len(params) > 1 else "latest"
            return q(self.pending_nonce(params[0]) if tag == "pending" else t.get_nonce(params[0]))
        if method == "eth_gasPrice":
            return q(self.next_base_fee() + self.tip_wei)
        if method == "eth_maxPriorityFeePerGas":
            return q(self.tip_wei)
        if method == "eth_feeHistory":
            count = min(as_int(params[0]), 1024)
            with self.lock:
                newest = self.head() if params[1] in ("latest", "pending") else as_int(params[1])
                oldest = max(0, newest - count + 1)
                blocks = [t.get_block_by_number(n) for n in range(oldest, newest + 1)]
                fees = [q(b["base_fee_per_gas"]) for b in blocks] + [q(self.next_base_fee())]
            percentiles = params[2] if len(params) > 2 else []
            return {"oldestBlock": q(oldest), "baseFeePerGas": fees,
                    "gasUsedRatio": [b["gas_used"] / b["gas_limit"] for b in blocks],
                    "reward": [[q(self.tip_wei) for _ in percentiles] for _ in blocks]}
        if method == "eth_estimateGas":
            try:
                with self.lock:
                    return q(t.estimate_gas(self.call_params(params[0])))
            except TransactionFailed as error:
                raise RPCError(3, f"execution reverted: {error}")
        if method == "eth_call":
            try:
                with self.lock:
                    return t.call(self.call_params(params[0]), params[1] if len(params) > 1 else "latest")
            except TransactionFailed as error:
                raise RPCError(3, f"execution reverted: {error}")
        if method == "eth_sendRawTransaction":
            return self.send_raw(params[0])
        if method == "eth_getTransactionReceipt":
            return self.receipt(params[0])
        if method == "eth_getTransactionByHash":
            return self.transaction(params[0])
        if method == "test_fund":
            return self.fund(*params)
        if method == "test_setMining":
            self.mining = bool(params[0])
            return self.mining
        if method == "test_mine":
            self.mine(as_int(params[0]) if params else 1)
            return q(self.head())
        if method == "test_dropPool":
            with self.lock:
                dropped = len(self.pool)
                self.pool.clear()
            return dropped
        if method == "test_stall":
            with self.lock:
                self.stalls.append([params[0], float(params[1]), bool(params[2]) if len(params) > 2 else False])
            return True
        raise RPCError(-32601, f"the method {method} does not exist/is not available")

    def take_stall(self, method):
        with self.lock:
            for i, stall in enumerate(self.stalls):
                if stall[0] == method:
                    return self.stalls.pop(i)
        return None

    def answer(self, request):
        method, params = request.get("method"), request.get("params") or []
        reply = {"jsonrpc": "2.0", "id": request.get("id")}
        stall = self.take_stall(method)
        if stall and not stall[2]:
            time.sleep(stall[1])
        try:
            with self.lock:  # py-evm is not thread-safe: one call (or block) at a time
                reply["result"] = self.handle(method, params)
        except RPCError as error:
            reply["error"] = {"code": error.code, "message": error.message}
        except Exception as error:  # noqa: BLE001 - a node answers an internal error, it does not crash
            reply["error"] = {"code": -32603, "message": f"internal error: {type(error).__name__}: {error}"}
        if stall and stall[2]:
            time.sleep(stall[1])
        return reply


def handler_for(chain):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                request = json.loads(body)
            except ValueError:
                out = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
            else:
                out = [chain.answer(r) for r in request] if isinstance(request, list) else chain.answer(request)
            data = json.dumps(out).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a stalled answer past its timeout)

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chain", action="append", required=True, help="NAME:CHAIN_ID:DECIMALS[:FINALIZED_LAG or -]")
    parser.add_argument("--block-time", type=float, default=0.1)
    parser.add_argument("--tail-blocks", type=int, default=30, help="blocks mined after the last transaction before a chain idles")
    parser.add_argument("--tip-wei", type=int, default=GWEI)
    args = parser.parse_args()

    source = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "TestUSDT.vy")).read()
    bytecode = vyper.compile_code(source, output_formats=["bytecode"])["bytecode"]
    for spec in args.chain:
        name, chain_id, decimals, *rest = spec.split(":")
        lag = None if rest and rest[0] == "-" else int(rest[0]) if rest else 2
        chain = Chain(name, int(chain_id), int(decimals), lag, bytecode, args)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(chain))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        threading.Thread(target=chain.produce_blocks, args=(args.block_time,), daemon=True).start()
        print(json.dumps({"name": name, "url": f"http://127.0.0.1:{server.server_address[1]}", "chain_id": chain.chain_id,
                          "token": chain.token, "decimals": chain.decimals}), flush=True)
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.read()  # until the test process closes our standard input (or dies)
    os._exit(0)


if __name__ == "__main__":
    main()
