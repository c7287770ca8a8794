namespace InventoryPlugin.Hosting;

public sealed class HttpOptions
{
    public const string Section = "Http";

    /// <summary>The path part of the deployment URI registered with the platform, e.g. <c>/inventory</c>.</summary>
    public string PathBase { get; set; } = "";

    /// <summary>Where to listen, e.g. <c>http://+:8080</c>; several separated by <c>;</c>.</summary>
    public string Urls { get; set; } = "";
}
