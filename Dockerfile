# dom0's image: the CLI bundled into one file on top of a Node.js base.
#
#   docker build -t dom0:latest .
#   docker run -d --name dom0 --restart always \
#     -v /var/run/docker.sock:/var/run/docker.sock \
#     -v /etc/dom0:/etc/dom0:ro -v dom0-state:/var/lib/dom0 dom0:latest
#
# NODE_IMAGE picks the base (a current Node.js LTS on Alpine by default). Where no registry serves
# node images, scripts/build-image.sh builds one from the machine's own node
# (scripts/node-base-image.sh) and passes --build-arg NODE_IMAGE=dom0-test/node:local.
# The only network the build uses is the npm registry (`npm ci`). See docs/install.md.
ARG NODE_IMAGE=node:22-alpine
# Provenance for `dom0 version` and the OCI labels; scripts/build-image.sh sets them from
# package.json and git (revision, commit time, remote URL).
ARG DOM0_REVISION=""
ARG DOM0_CREATED=""
ARG DOM0_VCS_URL=""

# ------------------------------------------------------------------ build: tsc, then one bundle
FROM ${NODE_IMAGE} AS build
ARG DOM0_REVISION
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the only install scripts are the optional native addons of ssh2 / cpu-features
# (SSH transport, unused by dom0 and not shipped) and esbuild's binary check.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The bundle is ESM with a banner giving the CommonJS dependencies require/__filename/__dirname.
# External: cpu-features and *.node addons — ssh2 loads both inside try/catch and falls back to JS.
# dockerode's .proto files (read from __dirname, only for BuildKit builds) sit beside the bundle.
# The bundle is then run from a directory without node_modules, to prove it is self-contained.
RUN npm run build \
 && mkdir -p /out \
 && version="$(node -p 'require("./package.json").version')" \
 && dockerode="$(node -p 'require("./node_modules/dockerode/package.json").version')" \
 && npx --no-install esbuild dist/cli/main.js \
      --bundle --platform=node --format=esm --target=node20 \
      --external:cpu-features --external:'*.node' \
      --legal-comments=none --log-level=warning \
      --define:__DOM0_VERSION__="\"$version\"" --define:__DOM0_DOCKERODE_VERSION__="\"$dockerode\"" \
      --define:__DOM0_REVISION__="\"$DOM0_REVISION\"" \
      --banner:js="import { createRequire as __dom0_createRequire } from 'node:module'; import { fileURLToPath as __dom0_fileURLToPath } from 'node:url'; import { dirname as __dom0_dirname } from 'node:path'; const require = __dom0_createRequire(import.meta.url); const __filename = __dom0_fileURLToPath(import.meta.url); const __dirname = __dom0_dirname(__filename);" \
      --outfile=/out/dom0.mjs \
 && cp -R node_modules/dockerode/lib/proto /out/proto \
 && chmod 755 /out/dom0.mjs \
 && cd / && node /out/dom0.mjs --help >/dev/null

# ------------------------------------------------------------------ final: node + one file
FROM ${NODE_IMAGE}
ARG DOM0_VERSION=""
ARG DOM0_REVISION
ARG DOM0_CREATED
ARG DOM0_VCS_URL
LABEL org.opencontainers.image.title="dom0" \
      org.opencontainers.image.description="Boot orchestrator for a Docker host: /etc/dom0/dom0.yaml -> plan -> apply" \
      org.opencontainers.image.version="${DOM0_VERSION}" \
      org.opencontainers.image.revision="${DOM0_REVISION}" \
      org.opencontainers.image.created="${DOM0_CREATED}" \
      org.opencontainers.image.source="${DOM0_VCS_URL}" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production \
    DOM0_MANIFEST=/etc/dom0/dom0.yaml \
    DOM0_STATE_DIR=/var/lib/dom0
COPY --from=build /out/ /opt/dom0/
RUN ln -s /opt/dom0/dom0.mjs /usr/local/bin/dom0 \
 && mkdir -p /etc/dom0 /var/lib/dom0 \
 && dom0 --help >/dev/null
VOLUME /var/lib/dom0
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["dom0", "health"]
# --max-semi-space-size=1: a smaller young generation; dom0 allocates little and lives for weeks
ENTRYPOINT ["node", "--max-semi-space-size=1", "/opt/dom0/dom0.mjs"]
CMD ["up"]
