# shellcheck shell=bash
# Certificates and kubeconfigs of the local Kubernetes control plane, made with openssl on the
# first `up --kubernetes` and kept in <state>/kubernetes/pki (mode 700).
#
# Three CAs, as kubeadm makes them: the cluster CA signs the API server's serving cert and every
# client (admin, controller manager, scheduler, kwok); the etcd CA signs etcd's cert and the API
# server's etcd client cert, so no cluster credential can talk to etcd directly; the front-proxy CA
# signs the client cert the API server presents to aggregated API servers. Without that last one
# the scheduler and the controller manager log, every few seconds, that the request-header CA
# bundle is missing, and an aggregated API (metrics-server, say) could not authenticate requests.
# Leaves are renewed when they are missing, expire within 30 days, or were not signed by the
# current CA.

KPKI="$KSTATE/pki"
# The first address of --service-cluster-ip-range: the in-cluster `kubernetes` Service.
KUBE_SERVICE_CIDR=10.96.0.0/12
KUBE_SERVICE_IP=10.96.0.1

pki_key() {
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null) \
    || die "openssl could not generate the key $1"
}

pki_ca() {
  local name=$1 cn=$2
  [[ -s $KPKI/$name.crt && -s $KPKI/$name.key ]] && return 0
  log "kubernetes: generating the $cn"
  pki_key "$KPKI/$name.key"
  openssl req -x509 -new -key "$KPKI/$name.key" -subj "/CN=$cn" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$KPKI/$name.crt" 2>/dev/null || die "openssl could not make the CA $KPKI/$name.crt"
}

# pki_leaf NAME CA SUBJECT EKU [SANS]: a cert signed by CA, valid one year.
pki_leaf() {
  local name=$1 ca=$2 subject=$3 eku=$4 sans=${5:-}
  local crt="$KPKI/$name.crt"
  if [[ -s $crt && -s $KPKI/$name.key ]] \
      && openssl x509 -in "$crt" -noout -checkend $((30 * 86400)) >/dev/null 2>&1 \
      && openssl verify -CAfile "$KPKI/$ca.crt" "$crt" >/dev/null 2>&1; then
    return 0
  fi
  pki_key "$KPKI/$name.key"
  local ext="$KPKI/$name.ext"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=$eku"
    [[ -z $sans ]] || echo "subjectAltName=$sans"
  } >"$ext"
  openssl req -new -key "$KPKI/$name.key" -subj "$subject" -out "$KPKI/$name.csr" 2>/dev/null \
    && openssl x509 -req -in "$KPKI/$name.csr" -CA "$KPKI/$ca.crt" -CAkey "$KPKI/$ca.key" \
      -set_serial "0x$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" -days 365 -sha256 \
      -extfile "$ext" -out "$crt" 2>/dev/null \
    || die "openssl could not sign $crt"
  rm -f "$KPKI/$name.csr" "$ext"
}

kube_pki() {
  mkdir -p "$KPKI" && chmod 700 "$KPKI"
  pki_ca ca "coexist local Kubernetes CA"
  pki_ca etcd-ca "coexist local etcd CA"
  pki_ca front-proxy-ca "coexist local front-proxy CA"
  local loop="IP:127.0.0.1,DNS:localhost"
  pki_leaf apiserver ca "/CN=kube-apiserver" serverAuth \
    "$loop,IP:$KUBE_SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  pki_leaf admin ca "/O=system:masters/CN=kubernetes-admin" clientAuth
  # The identities the bootstrap RBAC policy grants the controller manager's and scheduler's rights to.
  pki_leaf controller-manager ca "/CN=system:kube-controller-manager" clientAuth
  pki_leaf scheduler ca "/CN=system:kube-scheduler" clientAuth
  # kwok plays every kubelet (node status, leases, pod status, pod deletion): it gets the admin group.
  pki_leaf kwok ca "/O=system:masters/CN=kwok-controller" clientAuth
  pki_leaf etcd-server etcd-ca "/CN=etcd" serverAuth,clientAuth "$loop"
  pki_leaf apiserver-etcd-client etcd-ca "/CN=kube-apiserver-etcd-client" clientAuth
  pki_leaf front-proxy-client front-proxy-ca "/CN=front-proxy-client" clientAuth
  # The service-account signing key pair (RS256, what every token consumer accepts).
  if [[ ! -s $KPKI/sa.key ]]; then
    (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KPKI/sa.key" 2>/dev/null) \
      || die "openssl could not generate the service-account key"
    rm -f "$KPKI/sa.pub"
  fi
  [[ -s $KPKI/sa.pub ]] || openssl pkey -in "$KPKI/sa.key" -pubout -out "$KPKI/sa.pub" 2>/dev/null \
    || die "openssl could not derive $KPKI/sa.pub"
}

# kube_kubeconfig USER: <state>/kubernetes/USER.kubeconfig with the certs embedded, so the file
# alone is a complete credential (rewritten on every up: the API server's port may change).
kube_kubeconfig() {
  local user=$1 out="$KSTATE/$1.kubeconfig"
  (
    umask 077
    cat >"$out.tmp" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: coexist-local
  cluster:
    server: https://127.0.0.1:$PORT_APISERVER
    certificate-authority-data: $(base64 -w0 <"$KPKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$KPKI/$user.crt")
    client-key-data: $(base64 -w0 <"$KPKI/$user.key")
contexts:
- name: $user@coexist-local
  context:
    cluster: coexist-local
    user: $user
current-context: $user@coexist-local
YAML
  )
  mv "$out.tmp" "$out"
}
