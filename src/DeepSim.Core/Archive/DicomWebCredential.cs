using System.Net;
using System.Net.Http.Headers;
using System.Security;
using System.Text;

namespace DeepSim.Archive;

/// <summary>How a DICOMweb request authenticates.</summary>
public enum DicomWebAuthentication
{
    /// <summary>No Authorization header.</summary>
    None,

    /// <summary>HTTP basic authentication (user name and password).</summary>
    Basic,

    /// <summary>An OAuth-style bearer token.</summary>
    Bearer,
}

/// <summary>
/// The credentials of a DICOMweb server. Secrets are kept as <see cref="SecureString"/> (read-only copies) and turned
/// into text only to build an Authorization header; <see cref="ToString"/> never shows them.
/// </summary>
public sealed class DicomWebCredential
{
    private readonly SecureString? _secret;

    private DicomWebCredential(DicomWebAuthentication kind, string? userName, SecureString? secret)
    {
        Kind = kind;
        UserName = userName;
        if (secret is not null)
        {
            _secret = secret.Copy();
            _secret.MakeReadOnly();
        }
    }

    /// <summary>No authentication.</summary>
    public static DicomWebCredential None { get; } = new(DicomWebAuthentication.None, null, null);

    /// <summary>The kind of authentication.</summary>
    public DicomWebAuthentication Kind { get; }

    /// <summary>The user name of basic authentication; null otherwise.</summary>
    public string? UserName { get; }

    /// <summary>Basic authentication with a user name and a password.</summary>
    public static DicomWebCredential Basic(string userName, SecureString password)
    {
        ArgumentException.ThrowIfNullOrEmpty(userName);
        ArgumentNullException.ThrowIfNull(password);
        if (userName.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("A user name for HTTP basic authentication cannot contain ':'.", nameof(userName));
        }

        return new DicomWebCredential(DicomWebAuthentication.Basic, userName, password);
    }

    /// <summary>A bearer token.</summary>
    public static DicomWebCredential Bearer(SecureString token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (token.Length == 0)
        {
            throw new ArgumentException("The bearer token is empty.", nameof(token));
        }

        return new DicomWebCredential(DicomWebAuthentication.Bearer, null, token);
    }

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        DicomWebAuthentication.Basic => $"Basic ({UserName})",
        DicomWebAuthentication.Bearer => "Bearer",
        _ => "None",
    };

    /// <summary>The Authorization header for a request, or null.</summary>
    internal AuthenticationHeaderValue? CreateHeader()
    {
        if (Kind == DicomWebAuthentication.None || _secret is null)
        {
            return null;
        }

        var secret = new NetworkCredential(string.Empty, _secret).Password;
        return Kind == DicomWebAuthentication.Basic
            ? new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(UserName + ":" + secret)))
            : new AuthenticationHeaderValue("Bearer", secret);
    }
}
