using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace InventoryPlugin.Merchant;

/// <summary>Opaque paging cursors: the position after which the next page starts.</summary>
public static class Cursor
{
    public static string Encode(string position) => Base64UrlEncoder.Encode(position);

    public static bool TryDecode(string? cursor, out string? position)
    {
        position = null;
        if (string.IsNullOrEmpty(cursor))
        {
            return true;
        }

        try
        {
            position = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(cursor));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
