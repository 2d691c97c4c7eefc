# Shared by the image build scripts (sourced, not run).

# Exits the calling script with 0 when the image `$1` exists (the builds are idempotent), saying so as `$2`.
exit_if_image_exists() {
  if docker image inspect "$1" >/dev/null 2>&1; then
    echo "$2: $1 exists"
    exit 0
  fi
}
