# Stand-in for the official postgres:<version>-bookworm image, for machines that cannot reach
# Docker Hub: Debian bookworm's PostgreSQL (major 15; bookworm has no 16) behind an entrypoint
# with the official image's interface: POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB (and their
# _FILE forms), POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD, PGDATA, scripts in
# /docker-entrypoint-initdb.d run once on an empty data directory, port 5432, any non-root UID
# (nss_wrapper) or root (drops to `postgres`).
ARG DEBIAN_IMAGE=modelfleet-standin/debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
ARG PG_MAJOR=15
# No cluster at package install: the entrypoint creates one in PGDATA.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-common \
    && sed -ri 's/#(create_main_cluster) .*$/\1 = false/' /etc/postgresql-common/createcluster.conf \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       "postgresql-${PG_MAJOR}" libnss-wrapper \
    && apt-get clean && rm -rf /var/lib/apt/lists/* \
    && sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" \
       "/usr/share/postgresql/${PG_MAJOR}/postgresql.conf.sample" \
    && mkdir -p /docker-entrypoint-initdb.d /var/lib/postgresql/data \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql \
    && chmod 1777 /var/lib/postgresql/data \
    && chmod 3777 /var/run/postgresql
ENV PATH="/usr/lib/postgresql/${PG_MAJOR}/bin:$PATH" \
    LANG=C.UTF-8 \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
