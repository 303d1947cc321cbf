"""Types of the Workhive REST API, generated from its OpenAPI document by
scripts/generate_models.py: do not edit by hand."""
from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict, Union


class A2ARequest(TypedDict):
    """A JSON-RPC 2.0 request of the A2A 1.0 binding."""
    jsonrpc: Literal['2.0']
    id: NotRequired[Any]
    method: Literal['SendMessage', 'SendStreamingMessage', 'GetTask', 'ListTasks', 'CancelTask', 'SubscribeToTask']
    params: NotRequired[dict[str, Any]]


class Error(TypedDict):
    error: dict[str, Any]


# Each code has one HTTP status: invalid_request, invalid_json, invalid_address,
# below_minimum_payout → 400; unauthenticated → 401;
# insufficient_funds → 402; forbidden, worker_suspended → 403; not_found → 404;
# method_not_allowed → 405; conflict, idempotency_key_reused, task_not_open,
# verification_closed, claim_expired, no_payout_address, appeal_exists,
# not_appealable → 409; payload_too_large → 413;
# unsupported_media_type → 415; rate_limited → 429; internal_error → 500.
ErrorCode = Literal['invalid_request', 'invalid_json', 'unauthenticated', 'forbidden', 'not_found', 'method_not_allowed', 'conflict', 'insufficient_funds', 'idempotency_key_reused', 'claim_expired', 'task_not_open', 'verification_closed', 'payload_too_large', 'unsupported_media_type', 'rate_limited', 'worker_suspended', 'invalid_address', 'no_payout_address', 'below_minimum_payout', 'appeal_exists', 'not_appealable', 'internal_error']


class CreateSubAgentRequest(TypedDict):
    name: str
    capabilities: NotRequired[list['Capability']]
    wallet_address: NotRequired[str]


class FleetMember(TypedDict):
    worker: 'Worker'
    earnings_micro_usdt: 'MicroUSDT'
    current_claims: int
    sub_tasks_done: int


class Fleet(TypedDict):
    master: 'Worker'
    master_available_micro_usdt: 'MicroUSDT'
    sub_agents: list['FleetMember']
    active: int
    paused: int
    removed: int
    current_claims: int
    earnings_micro_usdt: 'MicroUSDT'


AggregationMethod = Literal['merge_json', 'concat', 'majority', 'first', 'none']


DelegationFunding = Literal['parent_escrow', 'master_balance']


class SubTaskRequest(TypedDict):
    payload: NotRequired['JSONValue']
    reward_micro_usdt: 'MicroUSDT'
    title: NotRequired[str]
    instructions: NotRequired[str]
    task_type: NotRequired[str]
    required_capabilities: NotRequired[list['Capability']]
    assignee: NotRequired['Id']
    lease_seconds: NotRequired[int]
    max_attempts: NotRequired[int]
    deadline_at_millis: NotRequired['Millis']


class DelegationRequest(TypedDict):
    delegation_strategy: NotRequired[Literal['fan_out']]
    aggregation_method: NotRequired['AggregationMethod']
    funding: NotRequired['DelegationFunding']
    sub_tasks: list['SubTaskRequest']


class SubTask(TypedDict):
    slot: int
    task_id: 'Id'
    state: 'TaskState'
    done: bool
    assignee_id: NotRequired['Id']
    worker_id: NotRequired['Id']
    attempts: int
    max_attempts: int
    retries: int
    failure_reason: NotRequired[str]
    reward_micro_usdt: 'MicroUSDT'
    deadline_at_millis: NotRequired['Millis']
    result: NotRequired['JSONValue']


class Delegation(TypedDict):
    id: 'Id'
    parent_task_id: 'Id'
    parent_claim_id: 'Id'
    master_worker_id: 'Id'
    delegation_strategy: Literal['fan_out']
    aggregation_method: 'AggregationMethod'
    funding: 'DelegationFunding'
    state: Literal['running', 'needs_retry', 'complete']
    done: int
    failed: int
    running: int
    sub_tasks: list['SubTask']
    aggregate: NotRequired['JSONValue']
    aggregation_error: NotRequired[str]
    created_at_millis: 'Millis'


class FleetShare(TypedDict):
    worker_id: 'Id'
    amount_micro_usdt: 'MicroUSDT'


class DistributionRequest(TypedDict):
    split: Literal['equal', 'per_sub_task', 'explicit']
    amount_micro_usdt: NotRequired['MicroUSDT']
    delegation_id: NotRequired['Id']
    shares: NotRequired[list['FleetShare']]


class Distribution(TypedDict):
    id: 'Id'
    split: Literal['equal', 'per_sub_task', 'explicit']
    amount_micro_usdt: 'MicroUSDT'
    distributed_micro_usdt: 'MicroUSDT'
    kept_micro_usdt: 'MicroUSDT'
    delegation_id: NotRequired['Id']
    shares: list['FleetShare']
    created_at_millis: 'Millis'


# Any JSON value.
JSONValue = Any


Id = int


# Milliseconds since the Unix epoch.
Millis = int


# An amount in micro-USDT (1 USDT = 1 000 000).
MicroUSDT = int


# 1-64 characters of a-z, 0-9, '.', '_', '-' or ':' (lower-cased on input).
Capability = str


TaskState = Literal['open', 'claimed', 'verifying', 'approved', 'rejected', 'failed', 'cancelled', 'done']


Visibility = Literal['public', 'private']


WorkerKind = Literal['human', 'agent']


WorkerStatus = Literal['idle', 'busy', 'offline']


Verdict = Literal['approve', 'reject']


Outcome = Literal['approved', 'rejected']


AccountKind = Literal['funds', 'earnings', 'escrow', 'platform_fee', 'deposits', 'payouts_in_flight', 'paid_out', 'network_fees']


TransferKind = Literal['posted', 'pending', 'post', 'void']


TransferReason = Literal['deposit', 'escrow_hold', 'escrow_draw', 'escrow_release', 'reward', 'verifier_reward', 'platform_fee', 'delegation_pool', 'delegation_return', 'fleet_share', 'payout', 'payout_sent', 'network_fee', 'payout_refund']


class CreateOwnerRequest(TypedDict):
    name: str


class CreateWorkerRequest(TypedDict):
    name: str
    kind: 'WorkerKind'
    capabilities: NotRequired[list['Capability']]
    model_family: NotRequired[str]


class WorkerHeartbeatRequest(TypedDict):
    status: 'WorkerStatus'


class VerificationRequest(TypedDict):
    """Fixed (the default): n verifiers vote; k (quorum) approvals approve, n-k+1 rejections reject;
verifiers 0 approves on submission. Adaptive: slots open one at a time (min_votes at first),
each vote weighted by its verifier's estimated accuracy, until the leading verdict's posterior
probability reaches target_confidence or max_votes have voted; escrow holds max_votes verifier
rewards per attempt and what is not spent returns to the requester. With probability
spot_check_rate one slot is reserved for a human."""
    mode: NotRequired[Literal['fixed', 'adaptive']]
    target_confidence: NotRequired[float]
    min_votes: NotRequired[int]
    max_votes: NotRequired[int]
    verifiers: NotRequired[int]
    quorum: NotRequired[int]
    spot_check_rate: NotRequired[float]
    spot_check_max_rate: NotRequired[float]
    verifier_reward_micro_usdt: NotRequired[int]


class PostTaskRequest(TypedDict):
    task_type: str
    title: str
    instructions: NotRequired[str]
    payload: NotRequired[dict[str, Any]]
    required_capabilities: NotRequired[list['Capability']]
    reward_micro_usdt: int
    lease_seconds: NotRequired[int]
    max_attempts: NotRequired[int]
    deadline_at_millis: NotRequired[int]
    priority: NotRequired[int]
    visibility: NotRequired['Visibility']
    verification: NotRequired['VerificationRequest']
    gold_result: NotRequired['JSONValue']


class ClaimRequest(TypedDict):
    task_type: str
    capabilities: NotRequired[list['Capability']]
    wait_seconds: NotRequired[float]


class SubmitRequest(TypedDict):
    result: 'JSONValue'
    proofs: NotRequired[list[str]]


class VoteRequest(TypedDict):
    verdict: 'Verdict'
    reason: NotRequired[str]


class DepositRequest(TypedDict):
    amount_micro_usdt: int
    owner_id: NotRequired[int]


class Health(TypedDict):
    status: Literal['ok']


class Owner(TypedDict):
    id: 'Id'
    name: str
    role: Literal['member', 'admin']
    created_at_millis: 'Millis'


class OwnerCredentials(TypedDict):
    api_key: str
    subject: 'Owner'


class Worker(TypedDict):
    id: 'Id'
    owner_id: 'Id'
    name: str
    kind: 'WorkerKind'
    capabilities: list[str]
    status: 'WorkerStatus'
    suspended: bool
    last_heartbeat_at_millis: NotRequired['Millis']
    created_at_millis: 'Millis'
    master_worker_id: NotRequired['Id']
    paused: NotRequired[bool]
    removed_at_millis: NotRequired['Millis']
    wallet_address: NotRequired[str]
    model_family: NotRequired[str]


class WorkerCredentials(TypedDict):
    api_key: str
    subject: 'Worker'


class WorkerList(TypedDict):
    workers: list['Worker']


class Me(TypedDict):
    kind: Literal['owner', 'worker']
    owner_id: 'Id'
    is_admin: bool
    worker: NotRequired['Worker']


class VerificationPolicy(TypedDict):
    verifiers: int
    quorum: int
    spot_check_rate: float
    verifier_reward_micro_usdt: 'MicroUSDT'
    mode: NotRequired[Literal['fixed', 'adaptive']]
    spot_check_max_rate: NotRequired[float]
    target_confidence: NotRequired[float]
    min_votes: NotRequired[int]
    max_votes: NotRequired[int]


ReputationRole = Literal['verifier', 'worker']


class Reputation(TypedDict):
    """A Beta(alpha, beta) posterior over the worker's accuracy in one role on one task type, started
at the platform's prior and updated as each verdict lands with the probability that the
worker's answer was right given the rest of the evidence. A verifier whose accuracy is, at its
optimistic bound, below the quarantine threshold gets no more verification slots of that type;
the reason says why."""
    role: 'ReputationRole'
    task_type: str
    accuracy: float
    accuracy_std_dev: float
    alpha: float
    beta: float
    observations: int
    quarantined: bool
    quarantine_reason: NotRequired[str]
    quarantined_at_millis: NotRequired['Millis']


class AppealRequest(TypedDict):
    reason: str


class Appeal(TypedDict):
    id: 'Id'
    submission_id: 'Id'
    task_id: 'Id'
    worker_id: 'Id'
    requester_id: 'Id'
    reason: str
    state: Literal['pending', 'overturned', 'upheld']
    verifiers: int
    quorum: int
    approvals: int
    rejections: int
    created_at_millis: 'Millis'
    decided_at_millis: NotRequired['Millis']


class RequesterStats(TypedDict):
    requester_id: 'Id'
    tasks_posted: int
    submissions_approved: int
    submissions_rejected: int
    rejection_rate: float
    appeals_filed: int
    appeals_won: int
    appeals_upheld: int
    appeals_pending: int


class ReputationList(TypedDict):
    worker_id: 'Id'
    prior_accuracy: float
    reputations: list['Reputation']


class Task(TypedDict):
    id: 'Id'
    requester_id: 'Id'
    task_type: str
    title: str
    instructions: str
    payload: 'JSONValue'
    required_capabilities: list[str]
    reward_micro_usdt: 'MicroUSDT'
    lease_seconds: int
    max_attempts: int
    deadline_at_millis: NotRequired['Millis']
    priority: int
    visibility: 'Visibility'
    verification: 'VerificationPolicy'
    state: 'TaskState'
    attempts: int
    failure_reason: NotRequired[str]
    parent_task_id: NotRequired['Id']
    submission_id: NotRequired['Id']
    human_only: bool
    created_at_millis: 'Millis'
    updated_at_millis: 'Millis'
    fleet_master_id: NotRequired['Id']
    assignee_id: NotRequired['Id']
    delegation_id: NotRequired['Id']


class TaskList(TypedDict):
    tasks: list['Task']


class Submission(TypedDict):
    id: 'Id'
    task_id: 'Id'
    worker_id: 'Id'
    attempt: int
    state: Literal['pending', 'approved', 'rejected']
    approvals: int
    rejections: int
    result: 'JSONValue'
    proofs: list[str]
    created_at_millis: 'Millis'
    decided_at_millis: NotRequired['Millis']


class SubmissionList(TypedDict):
    submissions: list['Submission']


class Vote(TypedDict):
    submission_id: 'Id'
    slot_task_id: 'Id'
    verifier_id: 'Id'
    verdict: 'Verdict'
    reason: str
    paid: bool
    created_at_millis: 'Millis'


class VoteList(TypedDict):
    votes: list['Vote']


class Review(TypedDict):
    task: 'Task'
    submission: 'Submission'


class Claim(TypedDict):
    claim_id: 'Id'
    worker_id: 'Id'
    task: 'Task'
    attempt: int
    lease_expires_at_millis: 'Millis'
    review: NotRequired['Review']


class Lease(TypedDict):
    claim_id: 'Id'
    lease_expires_at_millis: 'Millis'


class Blob(TypedDict):
    sha256: str
    size: int
    media_type: str


class Transfer(TypedDict):
    id: 'Id'
    kind: 'TransferKind'
    reason: 'TransferReason'
    amount_micro_usdt: 'MicroUSDT'
    task_id: NotRequired['Id']
    created_at_millis: 'Millis'


class Balance(TypedDict):
    account_id: 'Id'
    kind: 'AccountKind'
    worker_id: NotRequired['Id']
    balance_micro_usdt: 'MicroUSDT'
    held_micro_usdt: 'MicroUSDT'
    available_micro_usdt: 'MicroUSDT'


class Wallet(TypedDict):
    accounts: list['Balance']
    history: list['Transfer']


PayoutNetwork = Literal['trc20', 'bep20', 'arbitrum', 'ton']


# queued → signed (bytes and hash stored) → broadcast → confirmed (final on chain) or failed (refunded).
PayoutState = Literal['queued', 'signed', 'broadcast', 'confirmed', 'failed']


PayoutOrigin = Literal['withdrawal', 'automatic']


class SetPayoutAddressRequest(TypedDict):
    address: str


class SetPayoutPreferenceRequest(TypedDict):
    preference: str


class PayoutRequest(TypedDict):
    amount_micro_usdt: int
    network: NotRequired['PayoutNetwork']


class PayoutAddress(TypedDict):
    network: 'PayoutNetwork'
    address: str
    updated_at_millis: 'Millis'


class PayoutAddresses(TypedDict):
    worker_id: 'Id'
    addresses: list['PayoutAddress']
    preference: str


class Payout(TypedDict):
    id: 'Id'
    worker_id: 'Id'
    network: 'PayoutNetwork'
    address: str
    amount_micro_usdt: 'MicroUSDT'
    fee_micro_usdt: 'MicroUSDT'
    sent_micro_usdt: 'MicroUSDT'
    rule: Literal['seed_rule', 'worker_preference', 'lowest_fee', 'cheapest_fallback']
    reason: str
    origin: 'PayoutOrigin'
    state: 'PayoutState'
    batch_id: NotRequired['Id']
    tx_hash: NotRequired[str]
    attempts: int
    failure_reason: NotRequired[str]
    created_at_millis: 'Millis'
    updated_at_millis: 'Millis'
    confirmed_at_millis: NotRequired['Millis']


class PayoutList(TypedDict):
    payouts: list['Payout']


class LedgerTotals(TypedDict):
    debits_posted: 'MicroUSDT'
    credits_posted: 'MicroUSDT'
    debits_pending: 'MicroUSDT'
    credits_pending: 'MicroUSDT'
    platform_fees_micro_usdt: 'MicroUSDT'
    deposits_micro_usdt: 'MicroUSDT'
    escrow_held_micro_usdt: 'MicroUSDT'
    balanced: bool


# One text frame of GET /v1/events.
EventFrame = Union['TaskAvailableEvent', 'ClaimExpiringEvent', 'SubmissionVerdictEvent', 'LedgerCreditedEvent']


class TaskAvailableEvent(TypedDict):
    """A task became claimable (posted, reopened, released or returned by the lease rescuer)."""
    type: Literal['task.available']
    data: dict[str, Any]


class ClaimExpiringEvent(TypedDict):
    """The caller's lease is close to running out; heartbeat the claim to keep it."""
    type: Literal['claim.expiring']
    data: dict[str, Any]


class SubmissionVerdictEvent(TypedDict):
    """A submission reached its outcome (sent to the submitting worker and the requester)."""
    type: Literal['submission.verdict']
    data: dict[str, Any]


class LedgerCreditedEvent(TypedDict):
    """Money arrived in an account of the caller (a reward, a verifier reward or a deposit)."""
    type: Literal['ledger.credited']
    data: dict[str, Any]
