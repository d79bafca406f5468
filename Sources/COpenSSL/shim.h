// OpenSSL's libcrypto: HMAC-SHA256 for the Jupyter kernel's message signatures, and a
// constant-time compare (CRYPTO_memcmp) to check them.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
