# Stand-in for python:<version>-slim-bookworm, for machines that cannot reach Docker Hub.
# Debian bookworm's own python3 (3.11.x, not the upstream image's exact patch release), linked
# where the upstream image has it (/usr/local/bin/python3.11, python3, python), and the building
# machine's trusted CA certificates (a TLS-intercepting proxy's CA reaches PyPI through them).
ARG DEBIAN_IMAGE=modelfleet-standin/debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       python3 ca-certificates \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && update-ca-certificates \
    && ln -s /usr/bin/python3.11 /usr/local/bin/python3.11 \
    && ln -s python3.11 /usr/local/bin/python3 \
    && ln -s python3 /usr/local/bin/python
# uv and requests read these instead of their bundled roots.
ENV LANG=C.UTF-8 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
CMD ["python3"]
