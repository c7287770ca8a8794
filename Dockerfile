# syntax=docker/dockerfile:1
# Build: the SDK image restores (a cached layer while only the project files are unchanged), then publishes.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/InventoryPlugin/InventoryPlugin.csproj src/InventoryPlugin/
RUN dotnet restore src/InventoryPlugin/InventoryPlugin.csproj
COPY src/ src/
RUN dotnet publish src/InventoryPlugin/InventoryPlugin.csproj -c Release -o /app --no-restore

# Run: the ASP.NET runtime only; tests and samples never reach this image.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
COPY appsettings.json ./
ENV ASPNETCORE_ENVIRONMENT=Production \
    Http__Urls=http://+:8080 \
    Storage__ConnectionString="Data Source=/data/inventory.db"
# The database lives on a volume owned by the image's non-root user (app, uid 1654).
RUN mkdir -p /data && chown app:app /data
VOLUME /data
USER app
EXPOSE 8080
# The runtime image has no curl: the service binary probes its own /healthz (exit 0 healthy, 1 not).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["dotnet", "InventoryPlugin.dll", "healthcheck"]
ENTRYPOINT ["dotnet", "InventoryPlugin.dll"]
