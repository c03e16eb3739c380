"""policysite: a static site generator for government policy pages.

The build is a pipeline of plain stages, each in its own module:

    config   site_config.yaml to a checked SiteConfig
    load     content/ files to Source pages, keeping source lines
    site     URLs, the section tree, breadcrumbs, topics and organisations
    links    one map from source paths and URLs to pages, for every link
    markup   Markdown to safe HTML, resolving and checking links
    templates  Jinja layouts to whole pages
    write    the output folder, replaced atomically

`policysite.builder` runs them in order; `policysite.cli` is the command line.
"""

__version__ = "0.2.0"   # the one place the version is set; a release is tagged v0.2.0
