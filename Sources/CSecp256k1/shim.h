// The Debian package libsecp256k1-dev (0.2.x) ships the recovery module used for Ethereum signatures.
#include <secp256k1.h>
#include <secp256k1_recovery.h>
