/**
 * A self-signed certificate for the demo lab's STARTTLS receivers (EC P-256, valid for 100 years).
 * It is public on purpose: it only ever serves loopback receivers in `mxprobe demo` and tests.
 * Made with: openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
 *   -subj '/CN=mx.secure.demo.test/O=mxprobe demo lab'
 *   -addext 'subjectAltName=DNS:mx.secure.demo.test,DNS:mx.postfix.demo.test,DNS:mx.grey.demo.test'
 */
export const LAB_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgm8T4/35q2+0ddqLT
+rNrq0fWPGtshL2mtS5VEGEfYSGhRANCAASw6Lu7h+dhFHBg7WL4nCdnvD99MO2V
+VvGdd2cdFoInyY79XewJrS6CVcb04GhtPjUdJeeHelezP/IWlPEzM9W
-----END PRIVATE KEY-----
`;

export const LAB_CERT = `-----BEGIN CERTIFICATE-----
MIICFDCCAbqgAwIBAgIUBIFKAmwfvF/c+CK0Tah08tIa078wCgYIKoZIzj0EAwIw
OTEcMBoGA1UEAwwTbXguc2VjdXJlLmRlbW8udGVzdDEZMBcGA1UECgwQbXhwcm9i
ZSBkZW1vIGxhYjAgFw0yNjExMjkwODIzMzJaGA8yMTI2MTEwNTA4MjMzMlowOTEc
MBoGA1UEAwwTbXguc2VjdXJlLmRlbW8udGVzdDEZMBcGA1UECgwQbXhwcm9iZSBk
ZW1vIGxhYjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABLDou7uH52EUcGDtYvic
J2e8P30w7ZX5W8Z13Zx0WgifJjv1d7AmtLoJVxvTgaG0+NR0l54d6V7M/8haU8TM
z1ajgZ0wgZowHQYDVR0OBBYEFHnnrpUg5fdETRaQiaNmVwNXrxFRMB8GA1UdIwQY
MBaAFHnnrpUg5fdETRaQiaNmVwNXrxFRMA8GA1UdEwEB/wQFMAMBAf8wRwYDVR0R
BEAwPoITbXguc2VjdXJlLmRlbW8udGVzdIIUbXgucG9zdGZpeC5kZW1vLnRlc3SC
EW14LmdyZXkuZGVtby50ZXN0MAoGCCqGSM49BAMCA0gAMEUCIBc2qRUrCZ9E/otl
9gariPJo0LuIL3mXeyOphpJ/CoJeAiEArYG0/rVgmyPwNMPLm6BnZQikSiH/dm4l
ZN85b7TA1oI=
-----END CERTIFICATE-----
`;
