<#
.SYNOPSIS
Writes the module's MAML help (en-US/<assembly>-Help.xml) from the cmdlets' metadata and XML doc comments.

.DESCRIPTION
platyPS is not available here, so the build makes help itself: synopsis and description come from the
cmdlet class's <para type="synopsis"> and <para type="description">, examples from its <example> elements
(<code> then <para>), parameter descriptions from the properties' <summary>, and syntax, types, positions,
pipeline input, aliases and defaults from the cmdlet metadata that PowerShell itself reports.
Run in a fresh pwsh (the build does) so the loaded module does not lock the output folder.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $XmlDocPath,
    [Parameter(Mandatory)] [string] $OutputPath
)
$ErrorActionPreference = 'Stop'
$module = Import-Module $ModuleManifest -PassThru -Force
[xml] $doc = Get-Content -LiteralPath $XmlDocPath -Raw
$members = @{}
foreach ($m in $doc.doc.members.member) { $members[$m.name] = $m }

$common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters

function Get-Text($node) {
    if ($null -eq $node) { return '' }
    $text = if ($node -is [string]) { $node } else { $node.InnerText }
    (($text -split "`n") | ForEach-Object { $_.Trim() }) -join "`n" -replace '^\s+|\s+$', ''
}

$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
$tmp = "$OutputPath.tmp"
New-Item -ItemType Directory -Force -Path (Split-Path $OutputPath) | Out-Null
$w = [System.Xml.XmlWriter]::Create($tmp, $settings)
$maml = 'http://schemas.microsoft.com/maml/2004/10'
$cmd = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
function Para($text) {
    foreach ($p in ($text -split "`n`n")) { $w.WriteElementString('maml', 'para', $maml, $p.Trim()) }
}
$w.WriteStartDocument()
$w.WriteStartElement('helpItems', 'http://msh')
$w.WriteAttributeString('schema', 'maml')
$count = 0
foreach ($c in (Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name)) {
    $type = $c.ImplementingType
    $typeDoc = $members["T:$($type.FullName)"]
    if (-not $typeDoc) { throw "No XML documentation for $($type.FullName) ($($c.Name))." }
    $synopsis = Get-Text ($typeDoc.summary.para | Where-Object { $_.type -eq 'synopsis' })
    $description = Get-Text ($typeDoc.summary.para | Where-Object { $_.type -eq 'description' })
    if (-not $synopsis) { throw "$($c.Name) has no <para type=""synopsis""> in its XML documentation." }
    $examples = @($typeDoc.example)
    if ($examples.Count -lt 2) { throw "$($c.Name) needs at least two <example> elements in its XML documentation." }

    $w.WriteStartElement('command', 'command', $cmd)
    $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $w.WriteStartElement('command', 'details', $cmd)
    $w.WriteElementString('command', 'name', $cmd, $c.Name)
    $w.WriteElementString('command', 'verb', $cmd, $c.Verb)
    $w.WriteElementString('command', 'noun', $cmd, $c.Noun)
    $w.WriteStartElement('maml', 'description', $maml); Para $synopsis; $w.WriteEndElement()
    $w.WriteEndElement()
    $w.WriteStartElement('maml', 'description', $maml); Para ($description ? $description : $synopsis); $w.WriteEndElement()

    $paramInfo = {
        param($p, $setParam, [bool] $withDefault)
        $pm = $setParam
        $w.WriteStartElement('command', 'parameter', $cmd)
        $w.WriteAttributeString('required', "$($pm.IsMandatory)".ToLowerInvariant())
        $w.WriteAttributeString('variableLength', "$($p.ParameterType.IsArray)".ToLowerInvariant())
        $glob = [bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
        $w.WriteAttributeString('globbing', "$glob".ToLowerInvariant())
        $pipe = @()
        if ($pm.ValueFromPipeline) { $pipe += 'ByValue' }
        if ($pm.ValueFromPipelineByPropertyName) { $pipe += 'ByPropertyName' }
        $w.WriteAttributeString('pipelineInput', $(if ($pipe) { "True ($($pipe -join ', '))" } else { 'False' }))
        $w.WriteAttributeString('position', $(if ($pm.Position -ge 0) { "$($pm.Position)" } else { 'named' }))
        $w.WriteAttributeString('aliases', $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }))
        $w.WriteElementString('maml', 'name', $maml, $p.Name)
        # Inherited parameters (e.g. the metric settings) are documented on the class that declares them.
        $declaring = $type.GetProperty($p.Name).DeclaringType
        $pdoc = $members["P:$($declaring.FullName).$($p.Name)"]
        if (-not $pdoc) { throw "$($c.Name) -$($p.Name) has no XML documentation." }
        $w.WriteStartElement('maml', 'description', $maml); Para (Get-Text $pdoc.summary); $w.WriteEndElement()
        $typeName = if ($p.SwitchParameter) { 'SwitchParameter' } else { $p.ParameterType.Name }
        $w.WriteStartElement('command', 'parameterValue', $cmd)
        $w.WriteAttributeString('required', "$(-not $p.SwitchParameter)".ToLowerInvariant())
        $w.WriteAttributeString('variableLength', 'false')
        $w.WriteString($typeName)
        $w.WriteEndElement()
        $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $p.ParameterType.FullName); $w.WriteEndElement()
        if ($withDefault) { $w.WriteElementString('dev', 'defaultValue', $dev, 'None') }
        $w.WriteEndElement()
    }

    $w.WriteStartElement('command', 'syntax', $cmd)
    foreach ($set in $c.ParameterSets) {
        $w.WriteStartElement('command', 'syntaxItem', $cmd)
        $w.WriteElementString('maml', 'name', $maml, $c.Name)
        foreach ($sp in ($set.Parameters | Where-Object { $_.Name -notin $common } | Sort-Object { if ($_.Position -ge 0) { $_.Position } else { 1000 } })) {
            $p = $c.Parameters[$sp.Name]
            & $paramInfo $p $sp $false
        }
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'parameters', $cmd)
    foreach ($p in ($c.Parameters.Values | Where-Object { $_.Name -notin $common } | Sort-Object Name)) {
        $sp = $c.ParameterSets.Parameters | Where-Object Name -eq $p.Name | Select-Object -First 1
        & $paramInfo $p $sp $true
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'inputTypes', $cmd)
    $inputs = $c.Parameters.Values | Where-Object { $_.ParameterSets.Values | Where-Object { $_.ValueFromPipeline -or $_.ValueFromPipelineByPropertyName } } | ForEach-Object { $_.ParameterType.FullName } | Select-Object -Unique
    foreach ($t in @($inputs)) {
        if (-not $t) { continue }
        $w.WriteStartElement('command', 'inputType', $cmd)
        $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $t); $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteStartElement('command', 'returnValues', $cmd)
    foreach ($o in $c.OutputType) {
        $w.WriteStartElement('command', 'returnValue', $cmd)
        $w.WriteStartElement('dev', 'type', $dev); $w.WriteElementString('maml', 'name', $maml, $o.Name); $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()

    $w.WriteStartElement('command', 'examples', $cmd)
    $i = 0
    foreach ($ex in $examples) {
        $i++
        $w.WriteStartElement('command', 'example', $cmd)
        $w.WriteElementString('maml', 'title', $maml, "-------------------------- Example $i --------------------------")
        $w.WriteElementString('dev', 'code', $dev, (Get-Text $ex.code))
        $w.WriteStartElement('dev', 'remarks', $dev); Para (Get-Text $ex.para); $w.WriteEndElement()
        $w.WriteEndElement()
    }
    $w.WriteEndElement()
    $w.WriteEndElement()
    $count++
}
$w.WriteEndElement()
$w.WriteEndDocument()
$w.Close()
Move-Item -LiteralPath $tmp -Destination $OutputPath -Force
Write-Host "Help for $count cmdlets written to $OutputPath."
