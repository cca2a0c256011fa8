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

# ------------------------------------------------------------------ build: tsc, then the bundle
FROM ${NODE_IMAGE} AS build
ARG DOM0_REVISION
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the only install scripts are the optional native addons of ssh2 / cpu-features
# (SSH transport, unused by dom0 and not shipped) and esbuild's binary check.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle.mjs ./scripts/
# `npm run build` is tsc, then scripts/bundle.mjs: the same bundle `npm install` users run
# (dist/bundle/: dom0.mjs and the chunks it loads per command; see that script).
# Every chunk is then loaded from a directory without node_modules, to prove it is self-contained.
RUN DOM0_REVISION="$DOM0_REVISION" npm run build \
 && cp -R dist/bundle /out \
 && cd / && node /out/dom0.mjs --help >/dev/null \
 && node --input-type=module -e "for (const f of (await import('node:fs')).readdirSync('/out/chunks')) if (f.endsWith('.mjs')) await import('/out/chunks/' + f)"

# ------------------------------------------------------------------ final: node + the bundle
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
# /opt/dom0/dom0: the script that runs node with --max-semi-space-size=1 (scripts/bundle.mjs)
RUN ln -s /opt/dom0/dom0 /usr/local/bin/dom0 \
 && mkdir -p /etc/dom0 /var/lib/dom0 \
 && dom0 --help >/dev/null
VOLUME /var/lib/dom0
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 CMD ["dom0", "health"]
# --max-semi-space-size=1: a smaller young generation; dom0 allocates little and lives for weeks.
# --optimize-for-size: the image runs `up`, which should give memory back after churn (scripts/bundle.mjs)
ENTRYPOINT ["node", "--max-semi-space-size=1", "--optimize-for-size", "/opt/dom0/dom0.mjs"]
CMD ["up"]
