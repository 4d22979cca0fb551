#!/bin/sh
#
# gen-certs.sh OUTDIR -- generate the test PKI used by the smarthost tests.
#
# Keys are made at test time and never committed.  All keys are EC P-256
# (fast to generate).  Files written to OUTDIR:
#
#	ca.pem, ca.key			test CA (self-signed, CA:TRUE)
#	good.pem, good.key		DNS:localhost, IP:127.0.0.1, CA-signed
#	wrongname.pem, wrongname.key	DNS:wrong.example, signed by the CA
#	selfsigned.pem, selfsigned.key	DNS:localhost, IP:127.0.0.1, self-signed
#	expired.pem, expired.key	DNS:localhost, IP:127.0.0.1, signed by
#					the CA, valid 2020-01-01 .. 2020-01-02
#	client.pem, client.key		client certificate (CN=mailferry client,
#					clientAuth), signed by the CA
#	otherca.pem, otherca.key	a second CA, trusted by nobody
#	otherclient.pem, otherclient.key  client certificate signed by otherca
#
# Idempotent: if OUTDIR/.done exists (and the newest file, otherclient.pem)
# nothing is regenerated.  The files are
# written into a temporary directory first and moved into place, so a
# concurrent reader never sees half a PKI.

set -eu

if [ $# -ne 1 ]; then
	echo "usage: gen-certs.sh outdir" >&2
	exit 64
fi
out=$1
# A tree made before the client certificates existed is made again.
if [ -f "$out/.done" ] && [ -f "$out/otherclient.pem" ]; then
	exit 0
fi
rm -f "$out/.done"
mkdir -p "$out"
out=$(cd "$out" && pwd)
tmp=$(mktemp -d "$out/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

OPENSSL=${OPENSSL:-openssl}
SAN="subjectAltName=DNS:localhost,IP:127.0.0.1"
LEAF="basicConstraints=critical,CA:FALSE"
EKU="extendedKeyUsage=serverAuth"

genkey()
{
	"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1.key" 2>/dev/null
}

# mkca NAME CN: a self-signed certificate authority.
mkca()
{
	genkey "$1"
	"$OPENSSL" req -new -x509 -key "$1.key" -out "$1.pem" -days 3650 \
	    -subj "/CN=$2" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# issue NAME CA CN PURPOSE [EXT]: a certificate signed by CA, for
# PURPOSE (serverAuth, clientAuth), with one more extension EXT.
issue()
{
	genkey "$1"
	"$OPENSSL" req -new -key "$1.key" -out "$1.pem" -days 3650 \
	    -subj "/CN=$3" -CA "$2.pem" -CAkey "$2.key" -addext "$LEAF" \
	    -addext "extendedKeyUsage=$4" ${5:+-addext "$5"} 2>/dev/null
}

mkca ca "mailferry test CA"
mkca otherca "other test CA"
issue good ca localhost serverAuth "$SAN"
issue client ca "mailferry client" clientAuth
issue otherclient otherca "mailferry client" clientAuth
issue wrongname ca wrong.example serverAuth "subjectAltName=DNS:wrong.example"

genkey selfsigned
"$OPENSSL" req -new -x509 -key selfsigned.key -out selfsigned.pem \
    -days 3650 -subj "/CN=localhost" -addext "$SAN" -addext "$LEAF" \
    -addext "$EKU" 2>/dev/null

# OpenSSL 3.0's x509/req cannot set a validity in the past; "openssl ca"
# can, with -startdate/-enddate.  It needs a minimal CA database.
genkey expired
"$OPENSSL" req -new -key expired.key -out expired.csr -subj "/CN=localhost" \
    -addext "$SAN" 2>/dev/null
mkdir db
: > db/index.txt
echo 01 > db/serial
cat > ca.cnf <<EOF
[ca]
default_ca = test_ca
[test_ca]
dir = ./db
database = ./db/index.txt
new_certs_dir = ./db
serial = ./db/serial
default_md = sha256
policy = any_policy
copy_extensions = copy
unique_subject = no
x509_extensions = leaf_ext
[any_policy]
commonName = supplied
[leaf_ext]
$LEAF
$EKU
EOF
"$OPENSSL" ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
    -in expired.csr -out expired.pem -notext \
    -startdate 20200101000000Z -enddate 20200102000000Z 2>/dev/null

for f in ca good wrongname selfsigned expired client otherca otherclient; do
	mv -f "$f.pem" "$f.key" "$out/"
done
: > "$out/.done"
