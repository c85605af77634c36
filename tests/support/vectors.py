"""Test vectors shared by the client, sandbox and form tests, so one rule is checked alike."""

ROUTING_VALID = ["021000021", "011000015", "122105278", "026009593"]
# Wrong checksum, wrong length, letters, all zeros (passes the checksum, is no bank),
# non-ASCII digits, a trailing newline.
ROUTING_INVALID = [
    "021000022",
    "02100002",
    "0210000210",
    "02100002a",
    "000000000",
    "０２１０００２１",
    "021000021\n",
    "",
]

LOOPBACK_HOSTS = ["localhost", "app.localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"]
NOT_LOOPBACK_HOSTS = [
    "127.evil.example",
    "localhost.evil.example",
    "10.0.0.1",
    "example.com",
    "0.0.0.0",
    "128.0.0.1",
]

# D14's Standard Webhooks test vector: the key is the hex-decoded part of the secret.
WEBHOOK_SECRET = "whsec_" + "00112233445566778899aabbccddeeff" * 2
WEBHOOK_ID = "evt_test"
WEBHOOK_TIMESTAMP = 1700000000
WEBHOOK_BODY = '{"id":"evt_test"}'
WEBHOOK_SIGNATURE = "v1,2OwxEZpi7TFbXBkN20dMv8x+RuxKXcxAA4VaypG+eCk="
