"""cxroi web app: Flask app factory, storage, respondent and authoring pages, and the `cxroi` command line."""
