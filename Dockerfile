# KafkaMl: one image for the portal (default) and for every job verb (train, infer, send, ...).
# The .NET 10 images ship a libstdc++ new enough for TorchSharp, so no native fix is applied here.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props KafkaMl.sln ./
COPY KafkaMl.Core/KafkaMl.Core.csproj KafkaMl.Core/
COPY KafkaMl.Web/KafkaMl.Web.csproj KafkaMl.Web/
RUN dotnet restore KafkaMl.Web/KafkaMl.Web.csproj -r linux-x64
COPY KafkaMl.Core/ KafkaMl.Core/
COPY KafkaMl.Web/ KafkaMl.Web/
COPY wwwroot-assets/ wwwroot-assets/
RUN dotnet publish KafkaMl.Web/KafkaMl.Web.csproj -c Release -r linux-x64 --self-contained false --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /data && chown -R app:app /data
USER app
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    KafkaMl__DataDir=/data \
    KafkaMl__Kafka__EmbeddedBindAddress=0.0.0.0
VOLUME /data
EXPOSE 8080 9092
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD ["dotnet", "KafkaMl.Web.dll", "healthcheck", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["dotnet", "KafkaMl.Web.dll"]
