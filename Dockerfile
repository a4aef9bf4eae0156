# KafkaMl: one image for the portal (the default) and for every job verb (train, infer, send, ...); the Kubernetes
# runner starts Jobs and Deployments of this same image with a verb as their arguments.
#
#   docker build -t kafkaml .
#   docker run -p 5080:5080 -v kafkaml-data:/data kafkaml      # portal + embedded broker + local runner
#
# .NET 10 images are Ubuntu 24.04 ("noble", a Debian derivative); pinned here so the distribution cannot change under
# the build. Its libstdc++ (GCC 14) has the GLIBCXX_3.4.32 TorchSharp's native library asks for, so KafkaMl's
# TorchSharp fix (a module initializer, for Debian 12) finds nothing to do.

# ---- build: restore (cached while only sources change), then publish for linux-x64 ----
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY KafkaMl.Core/KafkaMl.Core.csproj KafkaMl.Core/
COPY KafkaMl.Web/KafkaMl.Web.csproj KafkaMl.Web/
RUN dotnet restore KafkaMl.Web/KafkaMl.Web.csproj -r linux-x64
COPY KafkaMl.Core/ KafkaMl.Core/
COPY KafkaMl.Web/ KafkaMl.Web/
COPY wwwroot-assets/ wwwroot-assets/
RUN dotnet publish KafkaMl.Web/KafkaMl.Web.csproj -c Release -r linux-x64 --self-contained false --no-restore -o /app

# ---- runtime: ASP.NET only, non-root ----
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble AS runtime
WORKDIR /app
COPY --from=build /app ./
# The data volume (SQLite, Hangfire storage, job files, trained models) belongs to the image's non-root user, so a new
# named volume starts out writable for it.
RUN mkdir -p /data && chown app:app /data
USER app
# Listen on every interface inside the container; the embedded broker too (it still advertises 127.0.0.1:9092, which
# is right for the jobs inside and, through -p 9092:9092, for producers on the host).
ENV Urls=http://0.0.0.0:5080 \
    KafkaMl__DataDir=/data \
    KafkaMl__Kafka__EmbeddedBindAddress=0.0.0.0 \
    DOTNET_NOLOGO=1
VOLUME /data
EXPOSE 5080 9092
# The image has no curl: the executable's own healthcheck verb asks /healthz (database, broker, Hangfire).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["/app/KafkaMl.Web", "healthcheck", "http://127.0.0.1:5080/healthz"]
# The one executable; arguments pick the verb (none = the portal).
ENTRYPOINT ["/app/KafkaMl.Web"]
