FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt requirements-nodeps.txt ./
RUN pip install --no-cache-dir -r requirements.txt \
    && pip install --no-cache-dir --no-deps -r requirements-nodeps.txt
COPY . .
RUN python scripts/messages.py compile \
    && SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --system attn && mkdir -p /var/lib/attn/media && chown attn /var/lib/attn/media
USER attn
EXPOSE 8000
CMD ["gunicorn", "attn_site.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-", "--logger-class", "attn_site.gunicorn_logging.RedactingLogger"]
