"""The authoring pages beyond the editor, one module each, imported here so that their routes are on the
blueprint: the question editor (`question_pages`), reordering (`arranging`), preview as a respondent
(`preview`), applying lint suggestions (`suggestions`), definition upload and download (`definition_files`), distribution links (`links`) and e-mail
distribution (`mail_pages`)."""

from . import arranging, definition_files, links, mail_pages, preview, question_pages, suggestions

__all__ = ["arranging", "definition_files", "links", "mail_pages", "preview", "question_pages", "suggestions"]
