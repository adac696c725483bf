# shellcheck shell=bash
# The local Kubernetes control plane of `up --kubernetes`: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok, as processes on 127.0.0.1, with the
# binaries scripts/toolchain builds from the Go module proxy. State in <state>/kubernetes.

KSTATE="$STATE/kubernetes"
KUBE_CONF_DIR="$DP_LIB_DIR/kubernetes"
# Start order; `down` stops them in reverse.
KUBE_SERVICES=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

# shellcheck source=kubernetes-pki.sh
source "$DP_LIB_DIR/kubernetes-pki.sh"

V_KWOK=$(node -e '
  const v = require(process.argv[1]).tools?.kwok;
  if (typeof v !== "string" || !/^v[0-9A-Za-z.+-]+$/.test(v)) {
    console.error(`[dataplane] error: versions.json "tools.kwok" is ${JSON.stringify(v)}; expected a version such as "v0.8.0"`);
    process.exit(1);
  }
  console.log(v);' "$VERSIONS_FILE") || exit 1

# The Stage configs kwok plays, taken from the kwok module itself (third-party files: never
# committed). The "fast" set: nodes turn Ready at once and keep a lease; pods turn Ready at once,
# pods owned by a Job complete, and a pod being deleted goes away.
KWOK_STAGE_FILES=(node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml
  pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml)

build_kwok_stages() {
  local out=$1 src f
  command -v go >/dev/null || die "Go is needed to fetch kwok ${V_KWOK}'s stage configs from the Go module proxy"
  src=$(cd "$out" && go mod download -json "sigs.k8s.io/kwok@${V_KWOK}" | node -e '
    const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
    if (m.Error) { console.error(m.Error); process.exit(1); }
    console.log(m.Dir);') || die "go mod download sigs.k8s.io/kwok@${V_KWOK} failed"
  for f in "${KWOK_STAGE_FILES[@]}"; do
    [[ -f $src/kustomize/stage/$f ]] || die "kwok ${V_KWOK} has no kustomize/stage/$f; update KWOK_STAGE_FILES in $DP_LIB_DIR/kubernetes.sh"
    printf -- '---\n# sigs.k8s.io/kwok@%s kustomize/stage/%s\n' "$V_KWOK" "$f"
    cat "$src/kustomize/stage/$f"
  done >"$out/stages.yaml"
}
KWOK_STAGES_DIST="$CACHE_ROOT/kwok-stages-${V_KWOK}-$( { declare -p KWOK_STAGE_FILES; declare -f build_kwok_stages; } | sha256sum | cut -c1-8)"

# KUBE_WANTED: 1 when the command line (--kubernetes) or COEXIST_DATAPLANE_KUBERNETES=1 asks for
# the control plane. KUBE_ARGS: the other arguments.
kube_parse() {
  local cmd=$1; shift
  KUBE_WANTED=${COEXIST_DATAPLANE_KUBERNETES:-0}
  [[ $KUBE_WANTED == 0 || $KUBE_WANTED == 1 ]] \
    || die "COEXIST_DATAPLANE_KUBERNETES is \"$KUBE_WANTED\"; expected 1 (start the Kubernetes control plane) or 0"
  KUBE_ARGS=()
  local a
  for a in "$@"; do
    if [[ $a == --kubernetes ]]; then KUBE_WANTED=1; else KUBE_ARGS+=("$a"); fi
  done
  ((${#KUBE_ARGS[@]} == 0)) || die "unknown argument for $cmd: ${KUBE_ARGS[0]} (only --kubernetes)"
}

# ---- install -----------------------------------------------------------------------------------

kube_install() {
  log "kubernetes: building or restoring etcd, kwok and kube-apiserver/-controller-manager/-scheduler/kubectl with scripts/toolchain (cold: 20 to 40 minutes on 2 cores; progress every 15 s)"
  local t0=$SECONDS
  # Niced: a cold build saturates the cores for a quarter of an hour.
  nice -n 10 "$REPO_ROOT/scripts/toolchain" ensure etcd kwok kubernetes >/dev/null \
    || die "scripts/toolchain could not build the control plane binaries (see its messages above)"
  log "kubernetes: binaries ready ($((SECONDS - t0))s)"
  install_cached "kwok ${V_KWOK} stage configs" "$KWOK_STAGES_DIST" build_kwok_stages
}

# Sets ETCD_BIN, KUBE_BIN, KWOK_BIN and KUBECTL, or fails with the install command.
kube_tools() {
  local t missing=()
  for t in etcd kubernetes kwok; do
    local dir
    if dir=$("$REPO_ROOT/scripts/toolchain" path "$t" 2>/dev/null); then
      case $t in etcd) ETCD_BIN=$dir ;; kubernetes) KUBE_BIN=$dir ;; kwok) KWOK_BIN=$dir ;; esac
    else
      missing+=("$t")
    fi
  done
  [[ -f $KWOK_STAGES_DIST/.complete ]] || missing+=("kwok-stages")
  ((${#missing[@]} == 0)) || die "not installed: ${missing[*]}; run: scripts/dataplane install --kubernetes"
  KUBECTL="$KUBE_BIN/kubectl"
}

# ---- health ------------------------------------------------------------------------------------

kcurl() { curl -sf --max-time 5 --cacert "$KPKI/ca.crt" --cert "$KPKI/admin.crt" --key "$KPKI/admin.key" "https://127.0.0.1:$PORT_APISERVER$1"; }
etcd_healthy() {
  curl -sf --max-time 5 --cacert "$KPKI/etcd-ca.crt" --cert "$KPKI/apiserver-etcd-client.crt" \
    --key "$KPKI/apiserver-etcd-client.key" "https://127.0.0.1:$PORT_ETCD/health" | grep -q '"health":"true"'
}
apiserver_healthy() { [[ $(kcurl /readyz) == ok ]]; }
# The controller manager's and the scheduler's own serving certs are self-signed in memory; /healthz
# is open to anonymous requests by default.
kcm_healthy() { [[ $(curl -skf --max-time 5 "https://127.0.0.1:$PORT_KCM/healthz") == ok ]]; }
scheduler_healthy() { [[ $(curl -skf --max-time 5 "https://127.0.0.1:$PORT_SCHEDULER/healthz") == ok ]]; }
kwok_healthy() { curl -sf --max-time 5 "http://127.0.0.1:$PORT_KWOK/healthz" >/dev/null; }

kube_all_running() {
  local s
  for s in "${KUBE_SERVICES[@]}"; do is_up "$s" || return 1; done
}

kubectl_admin() { "$KUBECTL" --kubeconfig "$KSTATE/admin.kubeconfig" "$@"; }

# ---- start -------------------------------------------------------------------------------------

etcd_start() {
  if is_up etcd; then log "etcd: already running on 127.0.0.1:$PORT_ETCD"; return 0; fi
  mkdir -p "$KSTATE/etcd" && chmod 700 "$KSTATE/etcd"
  local p="$KPKI" client="https://127.0.0.1:$PORT_ETCD" peer="https://127.0.0.1:$PORT_ETCD_PEER"
  log "etcd: starting on $client (mutual TLS)"
  # --unsafe-no-fsync: a throwaway test store, like the Postgres cluster's fsync=off.
  spawn etcd "$ETCD_BIN/etcd" --name=coexist --data-dir="$KSTATE/etcd" \
    --listen-client-urls="$client" --advertise-client-urls="$client" \
    --listen-peer-urls="$peer" --initial-advertise-peer-urls="$peer" --initial-cluster="coexist=$peer" \
    --cert-file="$p/etcd-server.crt" --key-file="$p/etcd-server.key" --trusted-ca-file="$p/etcd-ca.crt" --client-cert-auth \
    --peer-cert-file="$p/etcd-server.crt" --peer-key-file="$p/etcd-server.key" --peer-trusted-ca-file="$p/etcd-ca.crt" --peer-client-cert-auth \
    --unsafe-no-fsync --log-level=warn
}

apiserver_start() {
  if is_up kube-apiserver; then log "kube-apiserver: already running on 127.0.0.1:$PORT_APISERVER"; return 0; fi
  local p="$KPKI"
  log "kube-apiserver: starting on https://127.0.0.1:$PORT_APISERVER"
  # --endpoint-reconciler-type=none: Endpoints may not hold a loopback address, so the
  # `kubernetes` Service gets none. The admission plugins listed are on by default; naming them
  # says what this cluster enforces, and NodeRestriction is added as kubeadm does.
  spawn kube-apiserver "$KUBE_BIN/kube-apiserver" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$PORT_APISERVER" \
    --endpoint-reconciler-type=none \
    --etcd-servers="https://127.0.0.1:$PORT_ETCD" --etcd-cafile="$p/etcd-ca.crt" \
    --etcd-certfile="$p/apiserver-etcd-client.crt" --etcd-keyfile="$p/apiserver-etcd-client.key" \
    --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
    --client-ca-file="$p/ca.crt" --anonymous-auth=false \
    --requestheader-client-ca-file="$p/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$p/front-proxy-client.crt" --proxy-client-key-file="$p/front-proxy-client.key" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,DefaultTolerationSeconds,StorageObjectInUseProtection,PersistentVolumeClaimResize,Priority,PodSecurity,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ValidatingAdmissionPolicy,ResourceQuota,NodeRestriction \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
    --service-cluster-ip-range="$KUBE_SERVICE_CIDR" \
    --allow-privileged=true --profiling=false
}

kcm_start() {
  if is_up kube-controller-manager; then log "kube-controller-manager: already running"; return 0; fi
  local p="$KPKI" kc="$KSTATE/controller-manager.kubeconfig"
  log "kube-controller-manager: starting (healthz on 127.0.0.1:$PORT_KCM)"
  # Each controller acts as its own service account (real RBAC); the token controller signs with
  # sa.key; the namespace controller and the garbage collector are on by default; the in-tree
  # hostPath provisioner binds pending claims (see kubernetes/storage.yaml).
  spawn kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --secure-port="$PORT_KCM" --leader-elect=false \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
    --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
    --service-cluster-ip-range="$KUBE_SERVICE_CIDR" --cluster-name=coexist-local \
    --controllers='*,bootstrap-signer-controller,token-cleaner-controller' \
    --enable-hostpath-provisioner=true --profiling=false
}

scheduler_start() {
  if is_up kube-scheduler; then log "kube-scheduler: already running"; return 0; fi
  local kc="$KSTATE/scheduler.kubeconfig"
  log "kube-scheduler: starting (healthz on 127.0.0.1:$PORT_SCHEDULER)"
  spawn kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
    --bind-address=127.0.0.1 --secure-port="$PORT_SCHEDULER" --leader-elect=false --profiling=false
}

kwok_start() {
  if is_up kwok; then log "kwok: already running"; return 0; fi
  log "kwok: starting (healthz on 127.0.0.1:$PORT_KWOK)"
  # Options as flags, not a KwokConfiguration in --config: kwok 0.8 does not default the fields a
  # config file leaves out (a zero lease parallelism stops it). HOME points into the state dir, or
  # kwok would also load a ~/.kwok/kwok.yaml. It manages only the Nodes of kubernetes/nodes.yaml;
  # pod IPs come from --cidr and route nowhere. Leases last 40 s and are renewed every quarter of
  # that, well inside the node lifecycle controller's 50 s grace period, so the nodes stay Ready
  # and their pods are never evicted.
  spawn kwok env HOME="$KSTATE" "$KWOK_BIN/kwok" --kubeconfig="$KSTATE/kwok.kubeconfig" \
    --config="$KWOK_STAGES_DIST/stages.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr=10.244.0.0/16 --node-lease-duration-seconds=40 \
    --server-address="127.0.0.1:$PORT_KWOK"
}

# Cluster objects the data plane owns: the default StorageClass and the fake Nodes.
kube_bootstrap() {
  kubectl_admin apply -f "$KUBE_CONF_DIR/storage.yaml" -f "$KUBE_CONF_DIR/nodes.yaml" >>"$LOGS/kube-bootstrap.log" 2>&1 \
    || { log_tail "$LOGS/kube-bootstrap.log"; die "could not apply $KUBE_CONF_DIR/storage.yaml and nodes.yaml; see $LOGS/kube-bootstrap.log"; }
}

# Ready means usable by a test: the Nodes are Ready (kwok works) and the `default` namespace has
# its service account (the controller manager works; pods cannot be created before it exists).
kube_usable() {
  [[ $(kubectl_admin get nodes -l type=kwok -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$') -eq 3 ]] \
    && kubectl_admin get serviceaccount default -n default >/dev/null
}

now_ms() { date +%s%3N; }

kube_up() {
  kube_tools
  mkdir -p "$KSTATE" "$LOGS"
  local t0 t_etcd t_api t_all
  t0=$(now_ms)
  kube_pki
  local u
  for u in admin controller-manager scheduler kwok; do kube_kubeconfig "$u"; done
  etcd_start
  wait_for etcd "$(timeout_for 30)" "$LOGS/etcd.log" etcd_healthy
  t_etcd=$(now_ms)
  apiserver_start
  wait_for kube-apiserver "$(timeout_for 90)" "$LOGS/kube-apiserver.log" apiserver_healthy
  t_api=$(now_ms)
  kube_bootstrap
  kcm_start
  scheduler_start
  kwok_start
  wait_for kube-controller-manager "$(timeout_for 60)" "$LOGS/kube-controller-manager.log" kcm_healthy
  wait_for kube-scheduler "$(timeout_for 60)" "$LOGS/kube-scheduler.log" scheduler_healthy
  wait_for kwok "$(timeout_for 60)" "$LOGS/kwok.log" kwok_healthy
  wait_for kwok "$(timeout_for 90)" "$LOGS/kwok.log" kube_usable
  t_all=$(now_ms)
  log "kubernetes: ready in $(ms_s $((t_all - t0)))s (certificates and etcd $(ms_s $((t_etcd - t0)))s, kube-apiserver +$(ms_s $((t_api - t_etcd)))s, controllers, scheduler, kwok and Ready nodes +$(ms_s $((t_all - t_api)))s)"
  log "kubernetes: RSS $(kube_rss)"
}

ms_s() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# Resident memory of each control-plane process and their sum, in MiB.
kube_rss() {
  local s pid kb total=0 out=""
  for s in "${KUBE_SERVICES[@]}"; do
    pid=$(service_pid "$s") || continue
    kb=$(ps -o rss= -p "$pid" | tr -d ' ')
    total=$((total + kb))
    out+="$s $((kb / 1024)) MiB, "
  done
  printf '%stotal %d MiB' "$out" $((total / 1024))
}

# ---- stop --------------------------------------------------------------------------------------

# The hostPath provisioner's dirs live outside the state dir (/tmp/hostpath_pv/<uid>); remember the
# ones still claimed, so `down --purge` can remove them once the cluster that owned them is gone.
kube_record_hostpath_dirs() {
  kcurl /api/v1/persistentvolumes | node -e '
    const pvs = JSON.parse(require("fs").readFileSync(0, "utf8")).items ?? [];
    for (const pv of pvs) if (pv.spec?.hostPath?.path) console.log(pv.spec.hostPath.path);' \
    >"$KSTATE/hostpath-dirs" 2>/dev/null || true
}

kube_down() {
  load_ports
  if is_up kube-apiserver && [[ -s $KPKI/admin.key ]] && apiserver_healthy 2>/dev/null; then kube_record_hostpath_dirs; fi
  local i
  for ((i = ${#KUBE_SERVICES[@]} - 1; i >= 0; i--)); do stop_group "${KUBE_SERVICES[i]}" 30; done
}

kube_purge() {
  [[ -f $KSTATE/hostpath-dirs ]] || return 0
  local d
  while read -r d; do
    # Only what the provisioner makes: /tmp/hostpath_pv/<uuid>.
    [[ $d =~ ^/tmp/hostpath_pv/[0-9a-f-]{36}$ ]] && rm -rf "$d"
  done <"$KSTATE/hostpath-dirs"
}

# ---- status, env -------------------------------------------------------------------------------

kube_port_of() {
  case $1 in
    # Empty until the first `up` picks the ports (status on a fresh clone has no ports file).
    etcd) echo "${PORT_ETCD:-}" ;; kube-apiserver) echo "${PORT_APISERVER:-}" ;; kube-controller-manager) echo "${PORT_KCM:-}" ;;
    kube-scheduler) echo "${PORT_SCHEDULER:-}" ;; kwok) echo "${PORT_KWOK:-}" ;;
  esac
}

kube_env_lines() {
  is_up kube-apiserver || return 0
  kube_tools
  env_line KUBECONFIG "$KSTATE/admin.kubeconfig"
  env_line KUBECTL "$KUBECTL"
}

cmd_kubectl() {
  if [[ ! -f $KSTATE/admin.kubeconfig ]] || ! is_up kube-apiserver; then
    die "the Kubernetes control plane is not up; run scripts/dataplane up --kubernetes"
  fi
  kube_tools
  exec "$KUBECTL" --kubeconfig "$KSTATE/admin.kubeconfig" "$@"
}
